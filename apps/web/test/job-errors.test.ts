import { describe, expect, it } from 'vitest';
import { MAX_UPLOAD_BYTES, checkPhoto, errorAdvice, nextSteps, stageLabel } from '../lib/job-errors';

describe('errorAdvice', () => {
  it.each([
    ['NO_FACE', /No face/, true],
    ['NO_FACE_FOUND', /No face/, true],
    ['MULTIPLE_FACES', /more than one face/, true],
    ['IMAGE_TOO_LARGE', /too large/, true],
    ['INVALID_IMAGE', /could not be read/, true],
    ['UNSUPPORTED_FORMAT', /format is not supported/, true],
    ['FACE_TOO_SMALL', /too small/, true],
    ['FACE_TRUNCATED', /cut off/, true],
    ['LANDMARKS_FAILED', /could not be read reliably/, true],
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

describe('nextSteps', () => {
  const error = (code: string, photoProblem?: boolean, retryable?: boolean) => ({ code, message: code, photoProblem, retryable });

  it('offers another upload and never Retry for a photo problem (the same photo fails again)', () => {
    for (const code of ['NO_FACE', 'MULTIPLE_FACES', 'FACE_TOO_SMALL', 'FACE_TRUNCATED', 'LANDMARKS_FAILED', 'INVALID_IMAGE', 'IMAGE_TOO_LARGE', 'UNSUPPORTED_FORMAT']) {
      expect(nextSteps('FAILED', error(code, true, false)), code).toMatchObject({ retry: false, uploadAnother: true });
      // An API without the flags: the local table decides the same way.
      expect(nextSteps('FAILED', error(code)), code).toMatchObject({ retry: false, uploadAnother: true });
    }
  });

  it('offers Retry for transient failures and cancellations, with no upload', () => {
    expect(nextSteps('FAILED', error('INTERNAL', false, true))).toMatchObject({ retry: true, uploadAnother: false });
    expect(nextSteps('FAILED', error('MODEL_UNAVAILABLE', false, true))).toMatchObject({ retry: true, uploadAnother: false });
    expect(nextSteps('FAILED', error('SOMETHING_NEW'))).toMatchObject({ retry: true, uploadAnother: false });
    expect(nextSteps('FAILED', null)).toMatchObject({ retry: true, uploadAnother: false });
    expect(nextSteps('CANCELLED', null)).toMatchObject({ retry: true, uploadAnother: false, advice: { title: /cancelled/ } });
  });

  it('offers neither when retrying cannot help and the photo is fine, and does not tell the person to retry', () => {
    const steps = nextSteps('FAILED', error('DEVICE_UNAVAILABLE', false, false));
    expect(steps).toMatchObject({ retry: false, uploadAnother: false });
    expect(steps.advice.action).toMatch(/contact support/);
    expect(steps.advice.action).not.toMatch(/retry it/);
    expect(nextSteps('FAILED', error('INVALID_ARGUMENT', false, false))).toMatchObject({ retry: false, uploadAnother: false });
  });

  it("lets the API's flags win over the local table", () => {
    expect(nextSteps('FAILED', error('NO_FACE', false, true))).toMatchObject({ retry: true, uploadAnother: false });
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
