import { ApiError, type UserError, apiUrl, graphql, readGraphqlBody } from '../../../lib/api';
import { MAX_UPLOAD_BYTES } from '../../../lib/job-errors';
import { readKey } from '../../../lib/session';

/**
 * The browser's upload goes here (multipart: `photo`, and `subjectId` or `newSubjectName`); this handler creates
 * the subject if asked, then forwards the photo to the API as a GraphQL multipart request with the session's key,
 * so the key never reaches the browser. Answers `{ reconstructionId, subjectId }` or `{ error: { code, message } }`.
 */
const CREATE_SUBJECT = `mutation($input: CreateSubjectInput!) { createSubject(input: $input) { subject { id } errors { code message } } }`;
const CREATE_RECONSTRUCTION = `mutation($input: CreateReconstructionInput!) {
  createReconstruction(input: $input) { reconstruction { id } errors { code message } }
}`;

const fail = (status: number, code: string, message: string) => Response.json({ error: { code, message } }, { status });

export async function POST(request: Request): Promise<Response> {
  const key = await readKey();
  if (!key) return fail(401, 'UNAUTHENTICATED', 'Sign in first.');
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    return fail(400, 'INVALID_ARGUMENT', 'Send the photo as multipart/form-data.');
  }
  const photo = form.get('photo');
  if (!(photo instanceof File) || photo.size === 0) return fail(400, 'INVALID_IMAGE', 'Choose a photo to upload.');
  if (photo.size > MAX_UPLOAD_BYTES) return fail(413, 'IMAGE_TOO_LARGE', 'The photo is larger than 20 MB.');

  try {
    let subjectId = String(form.get('subjectId') ?? '').trim();
    const newName = String(form.get('newSubjectName') ?? '').trim();
    if (!subjectId) {
      if (!newName) return fail(400, 'INVALID_ARGUMENT', 'Name the new subject or pick an existing one.');
      const created = await graphql<{ createSubject: { subject: { id: string } | null; errors: UserError[] } }>(CREATE_SUBJECT, { input: { displayName: newName.slice(0, 200) } }, key);
      const error = created.createSubject.errors[0];
      if (error || !created.createSubject.subject) return fail(400, error?.code ?? 'INVALID_ARGUMENT', error?.message ?? 'The subject could not be created.');
      subjectId = created.createSubject.subject.id;
    }

    const idempotencyKey = String(form.get('idempotencyKey') ?? '').slice(0, 200) || undefined;
    const forward = new FormData();
    forward.set('operations', JSON.stringify({ query: CREATE_RECONSTRUCTION, variables: { input: { subjectId, photo: null, ...(idempotencyKey ? { idempotencyKey } : {}) } } }));
    forward.set('map', JSON.stringify({ 0: ['variables.input.photo'] }));
    forward.set('0', photo, photo.name || 'photo');
    const response = await fetch(apiUrl(), {
      method: 'POST',
      // The API (Apollo) refuses multipart without a preflight-forcing header: CSRF protection.
      headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${key}` },
      body: forward,
      cache: 'no-store',
    });
    const data = await readGraphqlBody<{ createReconstruction: { reconstruction: { id: string } | null; errors: UserError[] } }>(response);
    const error = data.createReconstruction.errors[0];
    if (error || !data.createReconstruction.reconstruction) return fail(422, error?.code ?? 'INVALID_IMAGE', error?.message ?? 'The photo was not accepted.');
    return Response.json({ reconstructionId: data.createReconstruction.reconstruction.id, subjectId });
  } catch (error) {
    if (error instanceof ApiError) return fail(error.unauthenticated ? 401 : 502, error.code, error.message);
    throw error;
  }
}
