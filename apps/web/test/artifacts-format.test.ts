import { describe, expect, it } from 'vitest';
import { artifactFileName, artifactHref, isApiDownload } from '../lib/artifacts';
import { formatBytes, formatDate, formatDuration, formatEta } from '../lib/format';

describe('artefact links', () => {
  const api = 'http://127.0.0.1:4000/graphql';
  it('proxies only the API origin downloads', () => {
    expect(isApiDownload('http://127.0.0.1:4000/downloads/abc?expires=1&signature=x', api)).toBe(true);
    expect(isApiDownload('http://127.0.0.1:4001/downloads/abc', api)).toBe(false);
    expect(isApiDownload('http://127.0.0.1:4000/graphql', api)).toBe(false);
    expect(isApiDownload('http://169.254.169.254/downloads/x', api)).toBe(false);
    expect(isApiDownload('not a url', api)).toBe(false);
  });
  it('builds same-origin hrefs and safe file names', () => {
    const href = artifactHref('http://h/downloads/a?expires=1&signature=s+/', 'ada-glb.glb');
    const params = new URL(href, 'http://web').searchParams;
    expect(params.get('u')).toBe('http://h/downloads/a?expires=1&signature=s+/');
    expect(params.get('name')).toBe('ada-glb.glb');
    expect(artifactFileName('Ada Lovelace!', 'GLB')).toBe('ada-lovelace-glb.glb');
    expect(artifactFileName('   ', 'PARAMS')).toBe('head-params.json');
  });
});

describe('formatting', () => {
  it('formats sizes, dates, durations and ETAs', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 kB');
    expect(formatBytes(320 * 1024)).toBe('320 kB');
    expect(formatBytes(5.25 * 1024 * 1024)).toBe('5.3 MB');
    expect(formatDate('2026-11-25T07:05:00.000Z')).toBe('25 Nov 2026, 07:05 UTC');
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_340)).toBe('12.3 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatEta(null)).toBeNull();
    expect(formatEta(3)).toBe('a few seconds left');
    expect(formatEta(42)).toBe('about 42 s left');
    expect(formatEta(600)).toBe('about 10 min left');
  });
});
