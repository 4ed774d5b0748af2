/**
 * The authorization interceptor, first in the frontend's chain when `global.authorization` is on:
 * Temporal's default claim mapper (the `authorization` header's "Bearer <JWT>", verified with the
 * key provider; `sub` the subject; the permissions claim, "<namespace>:<role>" strings, the roles)
 * and default authorizer. A token that does not verify is UNAUTHENTICATED; a call the caller's roles
 * do not cover (no token included) is PERMISSION_DENIED, both before the request is validated.
 */
import { errors as joseErrors } from 'jose';
import { PermissionDeniedError, UnauthenticatedError } from '../../common/errors';
import type { Interceptor } from '../rpc';
import { authorize } from './authorizer';
import { claimsFrom, type Claims } from './claims';
import type { JwtKeyProvider } from './key-provider';

const UNAUTHORIZED = 'Request unauthorized';

function whyNot(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `the token's "${err.claim}" claim is not valid now (${err.reason})`;
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'no configured key (jwtKeyProvider.keySourceURIs) has the key id the token names';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'the signature does not verify';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'the token is signed with an algorithm that is not accepted (only RS*, PS*, ES* and EdDSA)';
  if (err instanceof joseErrors.JOSEError) return `the token is not a valid JWT (${err.message})`;
  return `the token could not be verified (${err instanceof Error ? err.message : String(err)})`;
}

export function authorizationInterceptor(keys: JwtKeyProvider, permissionsClaimName: string): Interceptor {
  const mapClaims = async (header: string | undefined): Promise<Claims | undefined> => {
    if (!header) return undefined;
    const parts = header.split(' ');
    if (parts.length !== 2 || parts[0]!.toLowerCase() !== 'bearer' || !parts[1])
      throw new UnauthenticatedError(`${UNAUTHORIZED}: the authorization header must be "Bearer <token>"`);
    let payload;
    try {
      payload = await keys.verify(parts[1]);
    } catch (err) {
      throw new UnauthenticatedError(`${UNAUTHORIZED}: ${whyNot(err)}`);
    }
    if (typeof payload.sub !== 'string') throw new UnauthenticatedError(`${UNAUTHORIZED}: the token has no "sub" claim (a string)`);
    return claimsFrom(payload.sub, payload[permissionsClaimName]);
  };
  return async (ctx, _request, next) => {
    const values = ctx.metadata.get('authorization');
    const header = typeof values[0] === 'string' ? values[0] : undefined;
    const claims = await mapClaims(header);
    const decision = authorize(claims, ctx.service, ctx.method, ctx.namespace);
    if (!decision.allow) throw new PermissionDeniedError(`${UNAUTHORIZED}: ${decision.reason}`);
    if (claims) ctx.caller = { subject: claims.subject, claims: { system: claims.system, namespaces: Object.fromEntries(claims.namespaces) } };
    return next();
  };
}
