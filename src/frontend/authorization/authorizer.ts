/**
 * Temporal's default authorizer: health checks are open to all; a cluster-scoped API needs the
 * system role it requires (read: reader, write: writer, admin: admin); a namespace-scoped one the
 * system roles and the namespace's roles together; an API Temporal does not classify is refused.
 */
import type { ServiceLabel } from '../rpc';
import { HEALTH_CHECK_METHODS, methodAccess, type Access } from './api-access';
import { ROLE, type Claims } from './claims';

const REQUIRED: Record<Access, number> = { read: ROLE.read, write: ROLE.write, admin: ROLE.admin };

export type Decision = { allow: true } | { allow: false; reason: string };

export function authorize(claims: Claims | undefined, service: ServiceLabel, method: string, namespace: string | undefined): Decision {
  if (HEALTH_CHECK_METHODS.has(`${service}/${method}`)) return { allow: true };
  if (!claims) return { allow: false, reason: 'no token (send "authorization: Bearer <JWT>")' };
  const m = methodAccess(service, method);
  if (!m) return { allow: false, reason: `${service}.${method} is not classified for authorization` };
  const has = m.scope === 'cluster' ? claims.system : claims.system | (namespace ? (claims.namespaces.get(namespace) ?? 0) : 0);
  if (has >= REQUIRED[m.access]) return { allow: true };
  const need = m.scope === 'cluster' ? `system:${m.access}` : `${namespace ?? '<namespace>'}:${m.access} or system:${m.access}`;
  return { allow: false, reason: `${claims.subject || 'the caller'} lacks the permission ${need} that ${service}.${method} needs` };
}
