import { progressEventStream } from '../../../../../lib/progress-stream';
import { readKey } from '../../../../../lib/session';

/** Live progress of a reconstruction as Server-Sent Events (lib/progress-stream.ts). */
export const dynamic = 'force-dynamic';

const SUBSCRIPTION = `subscription($id: ID!) {
  reconstructionProgress(id: $id) { id status stage progress queuePosition message etaSeconds error { code message photoProblem retryable } }
}`;

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const key = await readKey();
  if (!key) return new Response('Sign in first', { status: 401 });
  const { id } = await params;
  return progressEventStream(request, key, { query: SUBSCRIPTION, field: 'reconstructionProgress', variables: { id } });
}
