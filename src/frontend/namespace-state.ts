/** NamespaceState as requests carry it (enum number or name) to the registry's state names. */
import { temporal } from '../common/proto';
import type { NamespaceStateName } from '../namespace';

const E = temporal.api.enums.v1;

/** enums.v1.NamespaceState (number or name, as the request carries it) -> our state; undefined for unset or unknown (validators refuse unknown ones). */
export function namespaceStateOf(state: unknown): NamespaceStateName | undefined {
  if (state === undefined || state === null || Number(state) === 0) return undefined;
  const name = typeof state === 'string' ? state : E.NamespaceState[Number(state)];
  switch (name) {
    case 'NAMESPACE_STATE_REGISTERED':
      return 'registered';
    case 'NAMESPACE_STATE_DEPRECATED':
      return 'deprecated';
    case 'NAMESPACE_STATE_DELETED':
      return 'deleted';
    default:
      return undefined;
  }
}
