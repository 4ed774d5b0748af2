/** One validator per OperatorService method this server serves (see workflow-service.ts). */
import type { OperatorServiceClass, ValidatorMap } from '../rpc';
import { InvalidArgumentError } from '../../common/errors';
import { notNegative, requireNamespace } from './fields';

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
  DeleteNamespace(req) {
    if (!req.namespace && !req.namespaceId) throw new InvalidArgumentError('namespace', 'is required (or namespaceId)');
    notNegative(req.namespaceDeleteDelay, 'namespaceDeleteDelay');
  },
  ListClusters(req) {
    if ((req.pageSize ?? 0) < 0) throw new InvalidArgumentError('pageSize', 'must not be negative');
  },
} satisfies ValidatorMap<OperatorServiceClass>;
