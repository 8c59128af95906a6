'use server';

import { redirect } from 'next/navigation';
import { type UserError, graphql } from '../../../lib/api';
import { handleAuthError, requireKey } from '../../../lib/session';

async function run(mutation: 'cancelReconstruction' | 'retryReconstruction', form: FormData): Promise<void> {
  const id = String(form.get('id') ?? '');
  const here = `/reconstructions/${encodeURIComponent(id)}`;
  const key = await requireKey(here);
  await graphql<Record<string, { errors: UserError[] }>>(`mutation($input: ReconstructionIdInput!) { ${mutation}(input: $input) { errors { code message } } }`, { input: { id } }, key).catch(
    (error: unknown) => handleAuthError(error, here),
  );
  redirect(here);
}

export async function cancelReconstruction(form: FormData): Promise<void> {
  await run('cancelReconstruction', form);
}

export async function retryReconstruction(form: FormData): Promise<void> {
  await run('retryReconstruction', form);
}
