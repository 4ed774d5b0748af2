/**
 * No silent config (issue 13): a key under `global` or `services` that temporal-ts does not
 * implement is an error naming it, from `loadServerConfig` and from `temporal-ts server start`
 * (non-zero exit, nothing started); the keys it does implement (TLS, authorization, membership, each
 * service's rpc keys, limits, ui.allowedHosts/tls/authToken) are read with their values checked.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadServerConfig } from '../../src/config/server-config';
import { parseGoDuration } from '../../src/config/global-config';
import { TEMPORAL_TS, runCli } from '../helpers/processes';

const BASE = `persistence:
  defaultStore: default
  visibilityStore: visibility
  datastores:
    default:
      sql:
        pluginName: sqlite
        databaseName: t.db
    visibility:
      sql:
        pluginName: sqlite
        databaseName: v.db
`;

describe('server config: global and services', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tts-cfg-'));
  let n = 0;
  const write = (extra: string): string => {
    const f = join(dir, `c${++n}.yaml`);
    writeFileSync(f, BASE + extra);
    return f;
  };
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('keys we do not implement are errors naming them', () => {
    for (const [yaml, re] of [
      ['global:\n  metrics:\n    prometheus: {}\n', /global\.metrics is not supported by temporal-ts \(known here: tls, authorization, membership\)/],
      ['global:\n  pprof:\n    port: 7936\n', /global\.pprof is not supported/],
      ['global:\n  tls:\n    systemWorker: {}\n', /global\.tls\.systemWorker is not supported/],
      ['global:\n  tls:\n    frontend:\n      server:\n        certFlie: x\n', /global\.tls\.frontend\.server\.certFlie is not supported/],
      ['global:\n  authorization:\n    audience: x\n', /global\.authorization\.audience is not supported/],
      [
        'services:\n  worker:\n    rpc:\n      grpcPort: 7239\n',
        /services\.worker is not supported by temporal-ts \(known here: frontend, history, matching\)/,
      ],
      ['services:\n  frontend:\n    metrics: {}\n', /services\.frontend\.metrics is not supported/],
      ['services:\n  frontend:\n    rpc:\n      grpcPrt: 7233\n', /services\.frontend\.rpc\.grpcPrt is not supported/],
      ['global:\n  authorization:\n    authorizer: custom\n', /global\.authorization\.authorizer "custom" is not supported/],
      ['global:\n  authorization:\n    authorizer: default\n    claimMapper: default\n', /keySourceURIs is empty/],
      ['global:\n  authorization:\n    jwtKeyProvider:\n      keySourceURIs: [ftp://x/jwks]\n', /must be a file:\/\/, http:\/\/ or https:\/\/ URI/],
      ['global:\n  tls:\n    refreshInterval: soon\n', /global\.tls\.refreshInterval "soon" is not a duration/],
      ['ui:\n  allowedHosts: example.com\n', /ui\.allowedHosts must be a list/],
      ['limits:\n  maxReceiveMessageSize: 10\n', /limits\.maxReceiveMessageSize must be a whole number from 1024/],
    ] as const) {
      assert.throws(() => loadServerConfig(write(yaml)), re, yaml);
    }
  });

  test('the keys of a cluster (issue 12) and the security keys are accepted and read', () => {
    const cfg = loadServerConfig(
      write(`global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 10.0.0.5
  tls:
    refreshInterval: 1m30s
    frontend:
      server:
        certFile: /etc/tls/frontend.pem
        keyFile: /etc/tls/frontend.key
        clientCaFiles: [/etc/tls/ca.pem]
        requireClientAuth: true
      client:
        serverName: frontend.example
        rootCaFiles: [/etc/tls/ca.pem]
    internode:
      server:
        certFile: /etc/tls/internode.pem
        keyFile: /etc/tls/internode.key
      client:
        serverName: internode.example
  authorization:
    jwtKeyProvider:
      keySourceURIs: [https://idp.example/.well-known/jwks.json, file:///etc/jwks.json]
      refreshInterval: 5m
    permissionsClaimName: perms
    authorizer: default
    claimMapper: default
services:
  frontend:
    rpc: { grpcPort: 7233, membershipPort: 6933, bindOnIP: 127.0.0.1, httpPort: 7243 }
  history:
    rpc: { grpcPort: 7234, membershipPort: 6934 }
  matching:
    rpc: { grpcPort: 7235, membershipPort: 6935 }
ui:
  allowedHosts: [temporal.example, .internal.example]
  authToken: eyJhbGciOi
  tls: { certFile: /etc/tls/ui.pem, keyFile: /etc/tls/ui.key }
limits:
  maxReceiveMessageSize: 8388608
`),
    );
    assert.equal(cfg.global.tls.refreshIntervalMs, 90_000);
    assert.deepEqual(cfg.global.tls.frontend?.server, {
      certFile: '/etc/tls/frontend.pem',
      keyFile: '/etc/tls/frontend.key',
      certData: undefined,
      keyData: undefined,
      clientCaFiles: ['/etc/tls/ca.pem'],
      clientCaData: undefined,
      requireClientAuth: true,
    });
    assert.equal(cfg.global.tls.frontend?.client?.serverName, 'frontend.example');
    assert.equal(cfg.global.tls.internode?.server?.certFile, '/etc/tls/internode.pem');
    assert.deepEqual(cfg.global.authorization, {
      keySourceURIs: ['https://idp.example/.well-known/jwks.json', 'file:///etc/jwks.json'],
      refreshIntervalMs: 300_000,
      permissionsClaimName: 'perms',
    });
    assert.equal(cfg.global.membership.broadcastAddress, '10.0.0.5');
    assert.deepEqual(cfg.ui.allowedHosts, ['temporal.example', '.internal.example']);
    assert.equal(cfg.ui.authToken, 'eyJhbGciOi');
    assert.deepEqual(cfg.ui.tls, { certFile: '/etc/tls/ui.pem', keyFile: '/etc/tls/ui.key' });
    assert.equal(cfg.limits.maxReceiveMessageBytes, 8 * 1024 * 1024);
    assert.equal(cfg.limits.maxMetadataBytes, 64 * 1024);
  });

  test('empty TLS sections (as in Temporal sample configs) mean no TLS', () => {
    const cfg = loadServerConfig(write('global:\n  tls:\n    frontend:\n      server:\n        certFile: ""\n        keyFile: ""\n      client: {}\n'));
    assert.equal(cfg.global.tls.frontend?.server, undefined);
    assert.equal(cfg.global.authorization, undefined);
  });

  test('server start refuses an unknown key before anything starts', () => {
    const r = runCli(TEMPORAL_TS, ['server', 'start', '--config', write('global:\n  dynamicConfigClient:\n    filepath: dc.yaml\n')]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /global\.dynamicConfigClient is not supported by temporal-ts/);
    assert.doesNotMatch(r.stdout, /listening/);
  });

  test('Go durations', () => {
    assert.equal(parseGoDuration('1h30m', 'x'), 5_400_000);
    assert.equal(parseGoDuration('250ms', 'x'), 250);
    assert.equal(parseGoDuration(10, 'x'), 10_000);
    assert.throws(() => parseGoDuration('1d', 'x'), /not a duration/);
    assert.throws(() => parseGoDuration('', 'x'), /not a duration/);
  });
});
