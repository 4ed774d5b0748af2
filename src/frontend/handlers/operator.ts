/**
 * OperatorService: search attribute administration (Add / List / Remove) on the SQL visibility
 * store. The other Operator methods are listed as unimplemented (../unimplemented.ts).
 */
import { FailedPreconditionError } from '../../common/errors';
import type { NamespaceRegistry } from '../../namespace';
import type { VisibilityService } from '../../visibility';
import type { OperatorHandlers } from '../rpc';

export function operatorHandlers(visibility: VisibilityService | undefined, namespaces: NamespaceRegistry) {
  const vis = (): VisibilityService => {
    if (!visibility) throw new FailedPreconditionError('this server runs without a visibility store: search attributes need persistence.visibilityStore');
    return visibility;
  };
  return {
    async AddSearchAttributes(req) {
      const v = vis();
      const n = await namespaces.resolve(req.namespace);
      await v.addAttributes(n.id, n.name, (req.searchAttributes ?? {}) as Record<string, number>);
      return {};
    },
    async ListSearchAttributes(req) {
      const v = vis();
      const n = await namespaces.resolve(req.namespace);
      return v.listAttributes(n.id);
    },
    async RemoveSearchAttributes(req) {
      const v = vis();
      const n = await namespaces.resolve(req.namespace);
      await v.removeAttributes(n.id, n.name, req.searchAttributes ?? []);
      return {};
    },
  } satisfies OperatorHandlers;
}
