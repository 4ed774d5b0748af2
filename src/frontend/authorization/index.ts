/** Authorization as Temporal does it (default claim mapper and authorizer, JWT keys from JWKS); see ./interceptor.ts. */
export { authorizationInterceptor } from './interceptor';
export { JwtKeyProvider, KeySourceError } from './key-provider';
