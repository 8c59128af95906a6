import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { apiUrl } from '../../../../../lib/api';
import { readKey } from '../../../../../lib/session';

/**
 * Server-Sent Events proxy of the API's `reconstructionProgress` subscription. The handler opens the graphql-ws
 * subscription with the session's key (which stays on the server) and forwards each message as an SSE
 * `progress` event; `end` follows a final status, `failure` a subscription error. The API sends the current
 * state first, so an EventSource that reconnects (or a reloaded page) resumes where the job is.
 */
export const dynamic = 'force-dynamic';

const SUBSCRIPTION = `subscription($id: ID!) {
  reconstructionProgress(id: $id) { id status stage progress queuePosition message etaSeconds error { code message } }
}`;

/** Comment lines keep proxies from closing an idle stream while a job waits in the queue. */
const HEARTBEAT_MS = 15_000;

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const key = await readKey();
  if (!key) return new Response('Sign in first', { status: 401 });
  const { id } = await params;
  const encoder = new TextEncoder();
  let cleanup = () => {};

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false;
      const send = (event: string, data: unknown) => {
        if (!closed) controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
      };
      const client = createClient({
        url: apiUrl().replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${key}` },
        lazy: true,
        retryAttempts: 3,
      });
      const heartbeat = setInterval(() => !closed && controller.enqueue(encoder.encode(': keep-alive\n\n')), HEARTBEAT_MS);
      cleanup = () => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        unsubscribe();
        void client.dispose();
        try {
          controller.close();
        } catch {
          // already closed by the client going away
        }
      };
      // Tell EventSource to wait 2 s before reconnecting after a dropped connection.
      controller.enqueue(encoder.encode('retry: 2000\n\n'));
      const unsubscribe = client.subscribe<{ reconstructionProgress: unknown }>(
        { query: SUBSCRIPTION, variables: { id } },
        {
          next: (message) => {
            if (message.errors?.length) send('failure', { message: message.errors.map((e) => e.message).join('; ') });
            else send('progress', message.data?.reconstructionProgress);
          },
          error: (error) => {
            const message = error instanceof Error ? error.message : Array.isArray(error) ? error.map((e: { message?: string }) => e.message).join('; ') : 'The progress stream failed.';
            send('failure', { message });
            cleanup();
          },
          complete: () => {
            send('end', {});
            cleanup();
          },
        },
      );
      request.signal.addEventListener('abort', () => cleanup());
    },
    cancel() {
      cleanup();
    },
  });

  return new Response(stream, {
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' },
  });
}
