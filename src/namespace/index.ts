/**
 * Namespaces: the registry every service resolves names and ids through (not a service of its own:
 * each process builds one over the namespace store and hands it to the services that need it).
 */
export { NamespaceRegistry, retentionOf, DAY_MS, DEFAULT_RETENTION_MS, type NamespaceInfo, type NamespaceChanges, type NamespaceStateName } from './registry';
