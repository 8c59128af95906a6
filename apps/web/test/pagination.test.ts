import { describe, expect, it } from 'vitest';
import { PAGE_SIZE, galleryHref, neighbourLinks, pageVariables, parseGalleryQuery } from '../lib/pagination';

describe('gallery URLs', () => {
  it('parses q, after and before; before wins; blanks vanish', () => {
    expect(parseGalleryQuery({})).toEqual({});
    expect(parseGalleryQuery({ q: '  ann ', after: 'c1' })).toEqual({ q: 'ann', after: 'c1' });
    expect(parseGalleryQuery({ after: 'c1', before: 'c0' })).toEqual({ before: 'c0' });
    expect(parseGalleryQuery({ q: ['x', 'y'], after: '' })).toEqual({ q: 'x' });
  });

  it('turns the state into forward or backward connection arguments', () => {
    expect(pageVariables({})).toEqual({ first: PAGE_SIZE });
    expect(pageVariables({ q: 'ann', after: 'c1' })).toEqual({ first: PAGE_SIZE, after: 'c1', filter: { nameContains: 'ann' } });
    expect(pageVariables({ before: 'c0' }, 5)).toEqual({ last: 5, before: 'c0' });
  });

  it('builds hrefs that keep the search and encode cursors', () => {
    expect(galleryHref({})).toBe('/');
    expect(galleryHref({ q: 'a b' })).toBe('/?q=a+b');
    expect(galleryHref({ q: 'ann', after: 'YXJyYXk=:1' })).toBe('/?q=ann&after=YXJyYXk%3D%3A1');
    const round = new URL(galleryHref({ q: 'é&x', before: 'c/+=' }), 'http://x');
    expect(parseGalleryQuery(Object.fromEntries(round.searchParams))).toEqual({ q: 'é&x', before: 'c/+=' });
  });

  it('links to neighbouring pages only where they exist', () => {
    const info = { hasNextPage: true, hasPreviousPage: false, startCursor: 's', endCursor: 'e' };
    expect(neighbourLinks({}, info)).toEqual({ previous: null, next: '/?after=e' });
    // Reached by paging forward: Relay does not promise hasPreviousPage, but there is one.
    expect(neighbourLinks({ q: 'a', after: 'x' }, { ...info, hasNextPage: false })).toEqual({ previous: '/?q=a&before=s', next: null });
    // Reached by paging back: there is a next page.
    expect(neighbourLinks({ before: 'y' }, { ...info, hasNextPage: false, hasPreviousPage: true })).toEqual({ previous: '/?before=s', next: '/?after=e' });
    expect(neighbourLinks({}, { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null })).toEqual({ previous: null, next: null });
  });
});
