/** The Web UI's server side: HTTP server + JSON API over the server's own gRPC API. */
export { startUiServer, type UiServerOptions, type RunningUiServer } from './ui-server';
export { DatabaseUpgradeStatusProvider, type UpgradeStatusProvider, type UpgradeStatus } from './upgrade-status';
export { versionInfoFromFeed } from './version-info';
