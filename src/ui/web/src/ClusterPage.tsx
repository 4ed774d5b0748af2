/** The cluster page: server version, stores' schema versions vs required, shards, rewrites, version history, versionInfo. */
import type { ApiError, ClusterMembersView, ClusterResponse, Json, JsonObject, UpgradeStatusView, VersionInfoResponse } from '../../api-types';
import { apiGet } from './api';
import { ErrorBox, JsonView, Loading, fmtTime, useLoad } from './common';
import { isUrl } from './Banner';

type Err = ApiError['error'];
const isErr = (v: unknown): v is Err => !!v && typeof v === 'object' && 'codeName' in v && 'message' in v && !('serverVersion' in v);

function ErrLine({ e, what }: { e: Err; what: string }) {
  return (
    <div className={`error-box ${e.codeName === 'UNIMPLEMENTED' ? 'unavailable' : ''}`} role="alert">
      <strong>
        {what}: {e.codeName}
      </strong>
      <div className="error-detail">{e.message}</div>
    </div>
  );
}

function val(o: JsonObject, k: string): string {
  const v: Json | undefined = o[k];
  return v === undefined || v === null ? '—' : typeof v === 'string' ? v : JSON.stringify(v);
}

function Upgrade({ u }: { u: UpgradeStatusView }) {
  return (
    <>
      <div className="panel">
        <h2>Schema versions</h2>
        <table className="grid" data-testid="schema-table">
          <thead>
            <tr>
              <th>Store</th>
              <th>Plugin</th>
              <th>Database</th>
              <th>Schema version</th>
              <th>Required by this server</th>
              <th>Min compatible</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {u.stores.map((s) => (
              <tr key={s.store} data-testid={`schema-${s.store}`}>
                <td>{s.store}</td>
                <td>{s.plugin}</td>
                <td className="mono small">{s.database}</td>
                <td data-testid="schema-current">{s.current ?? '—'}</td>
                <td data-testid="schema-required">{s.required}</td>
                <td>{s.minCompatible ?? '—'}</td>
                <td>
                  <span className={`state state-${s.state}`}>{s.state}</span>
                  {s.error && <div className="small muted">{s.error}</div>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="panel">
        <h2>Shards and rewrites</h2>
        <dl className="facts">
          <dt>History shards</dt>
          <dd data-testid="shard-count">{u.shardCount}</dd>
          {(
            [
              ['Shard-metadata rewrite', u.shardMetadataRewrite, 'shard-rewrite'],
              ['Data rewrite', u.dataRewrite, 'data-rewrite'],
            ] as const
          ).map(([label, r, id]) => (
            <div key={id} className="fact-pair">
              <dt>{label}</dt>
              <dd data-testid={id}>
                <span className={`state state-${r.state}`}>{r.state}</span>
                {r.total !== null && (
                  <>
                    {' '}
                    <progress max={r.total} value={r.done ?? 0} /> {r.done ?? 0} / {r.total}
                  </>
                )}{' '}
                <span className="muted small">{r.note}</span>
              </dd>
            </div>
          ))}
        </dl>
      </div>
      <div className="panel">
        <h2>Versions that ran on this cluster</h2>
        <table className="grid" data-testid="version-history">
          <thead>
            <tr>
              <th>Server version</th>
              <th>First started</th>
              <th>Active since</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {u.versionHistory.map((v, i) => (
              <tr key={`${v.serverVersion}-${i}`}>
                <td>{v.serverVersion}</td>
                <td>{fmtTime(v.firstStartedTime)}</td>
                <td>{fmtTime(v.activatedTime)}</td>
                <td className="muted small">{v.note ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p data-testid="next-step">
          <strong>Next step:</strong> {u.nextStep}
          {u.nextCommands.length > 0 ? ':' : ''}
        </p>
        {u.nextCommands.length > 0 && <pre data-testid="next-commands">{u.nextCommands.join('\n')}</pre>}
        <p className="muted small">Source: {u.source}</p>
      </div>
    </>
  );
}

/** Shard ids as ranges: 1-4, 7 */
function ranges(ids: readonly number[]): string {
  const s = [...ids].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < s.length;) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
    out.push(i === j ? `${s[i]}` : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return out.join(', ') || '—';
}

/** The server processes sharing the database, as `temporal-ts admin cluster describe` shows them. */
function Members({ m }: { m: ClusterMembersView }) {
  return (
    <div className="panel" data-testid="cluster-members">
      <h2>Members</h2>
      {m.members.length === 0 ? (
        <p className="muted">No members registered: a SQLite server serves alone (PostgreSQL and MySQL servers register as members).</p>
      ) : (
        <table className="grid" data-testid="members-table">
          <thead>
            <tr>
              <th>Member</th>
              <th>State</th>
              <th>Address</th>
              <th>Frontend</th>
              <th>History</th>
              <th>Matching</th>
              <th>Version</th>
              <th>Session start</th>
              <th>Last heartbeat</th>
              <th>Shards</th>
            </tr>
          </thead>
          <tbody>
            {m.members.map((x) => (
              <tr key={x.hostId} data-testid="member-row">
                <td className="mono small">{x.identity}</td>
                <td>
                  <span className={`state state-${x.state === 'alive' ? 'ok' : 'behind'}`}>{x.state}</span>
                </td>
                <td className="mono small">{x.address}</td>
                <td>{x.ports.frontend ?? '—'}</td>
                <td>{x.ports.history ?? '—'}</td>
                <td>{x.ports.matching ?? '—'}</td>
                <td>{x.serverVersion}</td>
                <td>{fmtTime(x.sessionStart)}</td>
                <td>{fmtTime(x.lastHeartbeat)}</td>
                <td data-testid="member-shards">
                  {x.shards.length} <span className="muted small">({ranges(x.shards)})</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {m.otherOwners.map((o) => (
        <p key={o.identity} className="small muted">
          Shards {ranges(o.shards)} were last acquired by {o.identity}, which is not a member.
        </p>
      ))}
    </div>
  );
}

function VersionInfoPanel() {
  const v = useLoad(() => apiGet<VersionInfoResponse>('/version-info'), []);
  if (v.error) return <ErrorBox error={v.error} what="Version information" />;
  if (!v.data) return <Loading what="version information" />;
  const info = v.data.versionInfo;
  return (
    <div className="panel" data-testid="version-info">
      <h2>Releases</h2>
      {!info ? (
        <p className="muted" data-testid="version-info-message">
          No version information: {v.data.message}
        </p>
      ) : (
        <dl className="facts">
          <dt>Source</dt>
          <dd>{v.data.source === 'release-feed' ? 'local release feed file' : 'the server (GetClusterInfo versionInfo)'}</dd>
          <dt>Current</dt>
          <dd>{info.current?.version ?? '—'}</dd>
          <dt>Recommended</dt>
          <dd data-testid="recommended-version">
            {info.recommended?.version ?? '—'}{' '}
            {info.recommended?.notes && isUrl(info.recommended.notes) && (
              <a href={info.recommended.notes} target="_blank" rel="noreferrer">
                release notes
              </a>
            )}
          </dd>
          <dt>Alerts</dt>
          <dd>
            {info.alerts.length === 0
              ? 'none'
              : info.alerts.map((a, i) => (
                  <div key={i}>
                    <span className={`sev sev-${a.severity}`}>{a.severity}</span> {a.message}
                  </div>
                ))}
          </dd>
          {info.instructions && (
            <>
              <dt>Instructions</dt>
              <dd>{info.instructions}</dd>
            </>
          )}
          <dt>Last update</dt>
          <dd>{fmtTime(info.lastUpdateTime)}</dd>
        </dl>
      )}
    </div>
  );
}

export function ClusterPage() {
  const c = useLoad(() => apiGet<ClusterResponse>('/cluster'), []);
  if (c.error) return <ErrorBox error={c.error} what="Cluster information" />;
  if (!c.data) return <Loading what="cluster information" />;
  const { clusterInfo, systemInfo, upgrade, members } = c.data;
  return (
    <section data-testid="cluster-page">
      <h1>Cluster</h1>
      <div className="panel">
        <h2>Server</h2>
        <dl className="facts">
          <dt>temporal-ts version</dt>
          <dd data-testid="server-version">{isErr(upgrade) ? '—' : upgrade.serverVersion}</dd>
          {isErr(clusterInfo) ? (
            <dd>
              <ErrLine e={clusterInfo} what="GetClusterInfo" />
            </dd>
          ) : (
            <>
              <dt>Temporal API version reported</dt>
              <dd data-testid="api-version">{val(clusterInfo, 'serverVersion')}</dd>
              <dt>Cluster</dt>
              <dd>
                {val(clusterInfo, 'clusterName')} <span className="muted small">id {val(clusterInfo, 'clusterId')}</span>
              </dd>
              <dt>Persistence store</dt>
              <dd>{val(clusterInfo, 'persistenceStore')}</dd>
              <dt>Visibility store</dt>
              <dd>{val(clusterInfo, 'visibilityStore')}</dd>
              <dt>History shards (GetClusterInfo)</dt>
              <dd>{val(clusterInfo, 'historyShardCount')}</dd>
            </>
          )}
        </dl>
      </div>
      {members && (isErr(members) ? <ErrLine e={members} what="Cluster members" /> : <Members m={members} />)}
      {isErr(upgrade) ? <ErrLine e={upgrade} what="Upgrade status" /> : <Upgrade u={upgrade} />}
      <VersionInfoPanel />
      <div className="panel">
        <h2>Capabilities (GetSystemInfo)</h2>
        {isErr(systemInfo) ? <ErrLine e={systemInfo} what="GetSystemInfo" /> : <JsonView value={systemInfo.capabilities ?? {}} testId="capabilities" />}
      </div>
    </section>
  );
}
