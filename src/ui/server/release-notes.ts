/**
 * Release notes that live in a file rather than on the web: a release feed read from a file (the
 * shipped releases.json, whose notesUrl is `CHANGELOG.md#<release>`) has its notes links resolved to
 * file: URLs of the CHANGELOG beside it (src/upgrade/release-feed.ts), which no browser opens from
 * an http page. The Web UI serves such a file at a URL of its own, /release-notes/<version>: the
 * section of that release (found by the link's anchor, as GitHub names headings), as plain text.
 *
 * Only files that the current versionInfo names, ending in .md, are served; HTTP(S) links are left
 * as they are. What the versionInfo says is src/ui/server/version-info.ts's business.
 */
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ReleaseInfoView, VersionInfoView } from '../api-types';

export const NOTES_ROUTE = '/release-notes/';
const MAX_NOTES_BYTES = 1024 * 1024;

/** The anchor GitHub gives a Markdown heading: "## 0.2.0 - 2026-11-25" -> "020---2026-11-25". */
export function headingSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** The section of `markdown` under the heading whose slug is `anchor` (to the next heading of its level or higher). */
export function sectionOf(markdown: string, anchor: string): string | undefined {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => /^#{1,6} /.test(l) && headingSlug(l.replace(/^#+ /, '')) === anchor);
  if (start < 0) return undefined;
  const level = /^#+/.exec(lines[start]!)![0].length;
  let end = start + 1;
  while (end < lines.length && !(/^#{1,6} /.test(lines[end]!) && /^#+/.exec(lines[end]!)![0].length <= level)) end++;
  return lines.slice(start, end).join('\n').trimEnd() + '\n';
}

export class LocalReleaseNotes {
  /** version -> the file: URL the versionInfo named */
  private readonly links = new Map<string, URL>();

  /** `info` with file: notes links replaced by the UI's own URL, which `serve` answers. */
  localize(info: VersionInfoView): VersionInfoView {
    const local = (r: ReleaseInfoView | null): ReleaseInfoView | null => {
      if (!r || !/^file:/i.test(r.notes)) return r;
      let url: URL;
      try {
        url = new URL(r.notes);
      } catch {
        return r;
      }
      if (!url.pathname.toLowerCase().endsWith('.md')) return { ...r, notes: '' };
      this.links.set(r.version, url);
      return { ...r, notes: `${NOTES_ROUTE}${encodeURIComponent(r.version)}` };
    };
    return { ...info, current: local(info.current), recommended: local(info.recommended) };
  }

  /** The notes of `version` as text, or an error status with the reason. */
  async read(version: string): Promise<{ status: number; text: string }> {
    const url = this.links.get(version);
    if (!url) return { status: 404, text: `no release notes file is known for temporal-ts ${version} (the release feed names none)\n` };
    const file = fileURLToPath(url);
    try {
      const st = await stat(file);
      if (!st.isFile() || st.size > MAX_NOTES_BYTES) return { status: 404, text: `the release notes of ${version}, ${file}, are not a readable file\n` };
      const text = await readFile(file, 'utf8');
      const anchor = decodeURIComponent(url.hash.replace(/^#/, ''));
      return { status: 200, text: (anchor && sectionOf(text, anchor)) || text };
    } catch (err) {
      return { status: 404, text: `the release notes of ${version} named by the release feed, ${file}, cannot be read here: ${(err as Error).message}\n` };
    }
  }
}
