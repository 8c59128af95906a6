'use server';

import { redirect } from 'next/navigation';
import { type UserError, graphql } from '../../../lib/api';
import { handleAuthError, requireKey } from '../../../lib/session';

/** Deletes the subject with its photos, reconstructions and files (the API does the cascade), then shows the gallery. */
export async function deleteSubject(form: FormData): Promise<void> {
  const id = String(form.get('id') ?? '');
  const here = `/subjects/${encodeURIComponent(id)}`;
  const key = await requireKey(here);
  const result = await graphql<{ deleteSubject: { deletedSubjectId: string | null; errors: UserError[] } }>(
    'mutation($input: DeleteSubjectInput!) { deleteSubject(input: $input) { deletedSubjectId errors { code message } } }',
    { input: { id } },
    key,
  ).catch((error: unknown) => handleAuthError(error, here));
  const error = result.deleteSubject.errors[0];
  if (error) redirect(`${here}?error=${encodeURIComponent(error.message)}`);
  redirect('/?deleted=1');
}
