/**
 * The upgrade banner: shown when versionInfo recommends a newer version; coloured by the first
 * (most severe) alert: high red, medium orange, low or none blue. Dismissed per recommended version,
 * remembered in localStorage.
 */
import { useState } from 'react';
import type { VersionInfoResponse } from '../../api-types';
import { apiGet } from './api';
import { useLoad } from './common';

export const DISMISS_KEY = (version: string) => `temporal-ts.upgrade-banner.dismissed.${version}`;

/** A notes link the browser can open: a web page, or the notes file the Web UI serves itself. */
export function isUrl(s: string): boolean {
  return /^(https?:\/\/|\/release-notes\/)/i.test(s.trim());
}

export function UpgradeBanner() {
  const { data } = useLoad(() => apiGet<VersionInfoResponse>('/version-info'), []);
  const [dismissedNow, setDismissedNow] = useState(false);
  const info = data?.versionInfo;
  const rec = info?.recommended;
  if (!data?.upgradeRecommended || !rec || dismissedNow) return null;
  let dismissed = false;
  try {
    dismissed = window.localStorage.getItem(DISMISS_KEY(rec.version)) === '1';
  } catch {
    dismissed = false;
  }
  if (dismissed) return null;
  const first = info.alerts[0];
  const severity = first?.severity === 'high' || first?.severity === 'medium' || first?.severity === 'low' ? first.severity : 'none';
  const dismiss = () => {
    try {
      window.localStorage.setItem(DISMISS_KEY(rec.version), '1');
    } catch {
      // private mode: dismissed for this page only
    }
    setDismissedNow(true);
  };
  return (
    <div className={`banner banner-${severity}`} role="status" data-testid="upgrade-banner" data-severity={severity} data-version={rec.version}>
      <div className="banner-text">
        <strong>
          temporal-ts {rec.version} is recommended
          {info.current?.version ? ` (this server runs ${info.current.version})` : ''}.
        </strong>{' '}
        {first && <span data-testid="banner-alert">{first.message} </span>}
        {info.instructions && <span className="banner-instructions">{info.instructions} </span>}
        {rec.notes && isUrl(rec.notes) ? (
          <a href={rec.notes} target="_blank" rel="noreferrer" data-testid="release-notes">
            Release notes for {rec.version}
          </a>
        ) : rec.notes ? (
          <details className="banner-notes">
            <summary>Release notes for {rec.version}</summary>
            {rec.notes}
          </details>
        ) : null}
      </div>
      <button type="button" className="banner-dismiss" onClick={dismiss} aria-label={`Dismiss the notice for ${rec.version}`} data-testid="dismiss-banner">
        ×
      </button>
    </div>
  );
}
