/**
 * Temporal's claims and roles: roles are bits (worker 1, reader 2, writer 4, admin 8), a role
 * "covers" a required one when it is numerically at least as large (so worker alone is below read,
 * as in Temporal's default authorizer). Permissions come as "<namespace>:<role>" strings; the
 * namespace "system" stands for the whole cluster.
 */
export const ROLE = { worker: 1, read: 2, write: 4, admin: 8 } as const;

export interface Claims {
  subject: string;
  /** the roles on the whole cluster (from "system:<role>") */
  system: number;
  /** the roles per namespace */
  namespaces: Map<string, number>;
}

export const SYSTEM_SCOPE = 'system';

/** Claims from a permissions claim's value; entries that are not "<namespace>:<role>" with a known role are ignored (as Temporal). */
export function claimsFrom(subject: string, permissions: unknown): Claims {
  const c: Claims = { subject, system: 0, namespaces: new Map() };
  if (!Array.isArray(permissions)) return c;
  for (const p of permissions) {
    if (typeof p !== 'string') continue;
    const parts = p.split(':');
    if (parts.length !== 2) continue;
    const role = ROLE[parts[1]!.toLowerCase() as keyof typeof ROLE] ?? 0;
    if (!role) continue;
    const ns = parts[0]!;
    if (ns === SYSTEM_SCOPE) c.system |= role;
    else c.namespaces.set(ns, (c.namespaces.get(ns) ?? 0) | role);
  }
  return c;
}
