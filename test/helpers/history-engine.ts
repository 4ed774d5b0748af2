/**
 * A HistoryEngine for tests that drive history's API modules directly (no server, no queue
 * processors): built as the server builds it, from the store, the namespace registry and a matching
 * service. Matching's history client stays unbound: without queue processors nothing dispatches a
 * task, and a call to it would fail loudly rather than hang.
 */
import { LateBinding } from '../../src/common/late-binding';
import { createLogger } from '../../src/common/logger';
import { HistoryEngine, type HistoryEngineOptions } from '../../src/history/engine';
import { createMatchingService, type HistoryClient } from '../../src/matching';
import { NamespaceRegistry } from '../../src/namespace';
import type { PersistenceBundle } from '../../src/persistence';

export function testHistoryEngine(store: PersistenceBundle, options: HistoryEngineOptions): HistoryEngine {
  const log = createLogger('error');
  const matching = createMatchingService({
    tasks: store.tasks,
    longPollTimeoutMs: options.longPollTimeoutMs,
    history: new LateBinding<HistoryClient>('history (not used by this test)').client,
    log,
  });
  return new HistoryEngine({ store, options, log, matching, namespaces: new NamespaceRegistry(store.namespaces) });
}
