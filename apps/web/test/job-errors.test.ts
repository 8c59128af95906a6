import { describe, expect, it } from 'vitest';
import { MAX_UPLOAD_BYTES, checkPhoto, errorAdvice, stageLabel } from '../lib/job-errors';

describe('errorAdvice', () => {
  it.each([
    ['NO_FACE', /No face/, true],
    ['NO_FACE_FOUND', /No face/, true],
    ['MULTIPLE_FACES', /more than one face/, true],
    ['IMAGE_TOO_LARGE', /too large/, true],
    ['INVALID_IMAGE', /could not be read/, true],
    ['QUOTA_EXCEEDED', /quota/, false],
    ['FORBIDDEN', /may not/, false],
    ['CANCELLED', /cancelled/, false],
  ])('%s has its own title and a next step', (code, title, tryAnotherPhoto) => {
    const advice = errorAdvice(code);
    expect(advice.title).toMatch(title);
    expect(advice.action.length).toBeGreaterThan(20);
    expect(advice.tryAnotherPhoto).toBe(tryAnotherPhoto);
  });

  it('says what to do for each photo problem', () => {
    expect(errorAdvice('NO_FACE').action).toMatch(/one face is clearly visible/);
    expect(errorAdvice('MULTIPLE_FACES').action).toMatch(/Crop/);
    expect(errorAdvice('IMAGE_TOO_LARGE').action).toMatch(/20 MB/);
    expect(errorAdvice('INVALID_IMAGE').action).toMatch(/JPEG, PNG/);
  });

  it('falls back to a retry for unknown and internal codes', () => {
    for (const code of ['INTERNAL', 'SOMETHING_NEW', null, undefined]) {
      expect(errorAdvice(code).title).toBe('The reconstruction failed');
      expect(errorAdvice(code).tryAnotherPhoto).toBe(false);
    }
  });
});

describe('checkPhoto', () => {
  it('accepts the API formats up to 20 MB', () => {
    expect(checkPhoto({ name: 'a.jpg', type: 'image/jpeg', size: 1000 })).toBeNull();
    expect(checkPhoto({ name: 'a.webp', type: 'image/webp', size: MAX_UPLOAD_BYTES })).toBeNull();
    expect(checkPhoto({ name: 'a.TIF', type: '', size: 10 })).toBeNull();
  });
  it('refuses other types, empty and oversized files with a reason', () => {
    expect(checkPhoto({ name: 'a.gif', type: 'image/gif', size: 10 })).toMatch(/not a JPEG/);
    expect(checkPhoto({ name: 'notes.txt', type: 'text/plain', size: 10 })).toMatch(/not a JPEG/);
    expect(checkPhoto({ name: 'big.jpg', type: 'image/jpeg', size: MAX_UPLOAD_BYTES + 1 })).toMatch(/limit is 20 MB/);
    expect(checkPhoto({ name: 'zero.png', type: 'image/png', size: 0 })).toMatch(/empty/);
  });
});

describe('stageLabel', () => {
  it('names known stages and capitalises unknown ones', () => {
    expect(stageLabel('detect')).toBe('Finding the face');
    expect(stageLabel('uniformize')).toBe('Uniformize');
    expect(stageLabel(null)).toBe('Waiting');
  });
});
