/**
 * The upload request with progress: fetch() cannot report how much of a request body has been sent, so this is
 * an XMLHttpRequest, whose `upload` progress events count the bytes handed to the network. Browser only.
 */
export interface UploadAnswer {
  status: number;
  body: { reconstructionId?: string; subjectId?: string; error?: { code: string; message: string } } | null;
}

export interface SendOptions {
  /** Bytes sent so far and the request's total (multipart overhead included). */
  onProgress(loaded: number, total: number): void;
  signal?: AbortSignal;
}

/** POSTs the form to `url`; resolves with the JSON answer, rejects on a network failure or an abort. */
export function sendWithProgress(url: string, body: FormData, { onProgress, signal }: SendOptions): Promise<UploadAnswer> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.responseType = 'json';
    let total = 0;
    xhr.upload.addEventListener('progress', (event) => {
      if (!event.lengthComputable) return;
      total = event.total;
      onProgress(event.loaded, event.total);
    });
    // The body has left the browser; the server now checks the photo and queues the job.
    xhr.upload.addEventListener('load', () => total > 0 && onProgress(total, total));
    xhr.addEventListener('load', () => resolve({ status: xhr.status, body: (xhr.response as UploadAnswer['body']) ?? null }));
    xhr.addEventListener('error', () => reject(new Error('The upload did not reach the server.')));
    xhr.addEventListener('abort', () => reject(new DOMException('The upload was cancelled.', 'AbortError')));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}
