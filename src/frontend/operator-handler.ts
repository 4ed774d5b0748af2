/**
 * OperatorService: search attribute administration (Add / List / Remove) on the SQL visibility
 * store. Every other Operator method answers UNIMPLEMENTED with a sentence (service-definition.ts).
 */
import { FailedPreconditionError, InvalidArgumentError } from '../common/errors';
import { temporal } from '../common/proto';
import type { VisibilityManager } from '../visibility/manager';
import type { NamespaceRegistry } from './namespaces';
import type { UnaryHandler } from './service-definition';
import os = temporal.api.operatorservice.v1;

export function operatorHandlers(d: { visibility: VisibilityManager | undefined; namespaces: NamespaceRegistry }): Record<string, UnaryHandler> {
  const vis = (): VisibilityManager => {
    if (!d.visibility) throw new FailedPreconditionError('this server runs without a visibility store: search attributes need persistence.visibilityStore');
    return d.visibility;
  };
  const ns = async (name: string | null | undefined) => {
    if (!name) throw new InvalidArgumentError('namespace', 'is required: custom search attributes of the SQL visibility store belong to one namespace');
    return d.namespaces.resolve(name);
  };
  const h = {
    async AddSearchAttributes(req: os.IAddSearchAttributesRequest) {
      const v = vis();
      const n = await ns(req.namespace);
      await v.addAttributes(n.id, n.name, (req.searchAttributes ?? {}) as Record<string, number>);
      return {};
    },
    async ListSearchAttributes(req: os.IListSearchAttributesRequest) {
      const v = vis();
      const n = await ns(req.namespace);
      return v.listAttributes(n.id);
    },
    async RemoveSearchAttributes(req: os.IRemoveSearchAttributesRequest) {
      const v = vis();
      const n = await ns(req.namespace);
      await v.removeAttributes(n.id, n.name, req.searchAttributes ?? []);
      return {};
    },
  };
  return h as unknown as Record<string, UnaryHandler>;
}
