/** One validator per OperatorService method this server serves (see workflow-service.ts). */
import type { OperatorServiceClass, ValidatorMap } from '../rpc';
import { requireNamespace } from './fields';

const NAMESPACE_SCOPED = ': custom search attributes of the SQL visibility store belong to one namespace';

export const operatorServiceValidators = {
  AddSearchAttributes(req) {
    requireNamespace(req.namespace, NAMESPACE_SCOPED);
  },
  ListSearchAttributes(req) {
    requireNamespace(req.namespace, NAMESPACE_SCOPED);
  },
  RemoveSearchAttributes(req) {
    requireNamespace(req.namespace, NAMESPACE_SCOPED);
  },
} satisfies ValidatorMap<OperatorServiceClass>;
