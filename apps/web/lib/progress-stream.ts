/**
 * Server-Sent Events proxy of a progress subscription of the API (reconstructionProgress, animationProgress).
 * The route handler opens the graphql-ws subscription with the session's key (which stays on the server) and
 * forwards each message as an SSE `progress` event; `end` follows a final status, `failure` a subscription
 * error. The API sends the current state first, so an EventSource that reconnects (or a reloaded page) resumes
 * where the job is. Server only.
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { apiUrl } from './api';

/** Comment lines keep proxies from closing an idle stream while a job waits in the queue. */
const HEARTBEAT_MS = 15_000;

/**
 * The SSE response for one subscription. `field` is the subscription's root field, whose value each `progress`
 * event carries; `key` is the session's API key.
 */
export function progressEventStream(request: Request, key: string, subscription: { query: string; field: string; variables: Record<string, unknown> }): Response {
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
      const unsubscribe = client.subscribe<Record<string, unknown>>(
        { query: subscription.query, variables: subscription.variables },
        {
          next: (message) => {
            if (message.errors?.length) send('failure', { message: message.errors.map((e) => e.message).join('; ') });
            else send('progress', message.data?.[subscription.field]);
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
