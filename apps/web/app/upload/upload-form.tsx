'use client';

import { type ChangeEvent, type DragEvent, type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { formatBytes } from '../../lib/format';
import { ACCEPTED_TYPES, checkPhoto, errorAdvice } from '../../lib/job-errors';
import { sendWithProgress } from './send-photo';

interface Props {
  subjects: { id: string; displayName: string }[];
  preselect?: string;
}

/**
 * Subject choice (new or existing), drag and drop or file picker with client-side checks, then POST /api/upload
 * (a route handler that adds the key) with a progress bar of the bytes sent (XMLHttpRequest upload events), and
 * on to /reconstructions/<id>, whose URL survives a reload and shows the job's own progress.
 */
export function UploadForm({ subjects, preselect }: Props) {
  const ids = useId();
  const input = useRef<HTMLInputElement>(null);
  const [mode, setMode] = useState<'new' | 'existing'>(preselect && subjects.some((s) => s.id === preselect) ? 'existing' : 'new');
  const [subjectId, setSubjectId] = useState(preselect ?? subjects[0]?.id ?? '');
  const [name, setName] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [problem, setProblem] = useState<{ title: string; action?: string } | null>(null);
  const [over, setOver] = useState(false);
  const [sending, setSending] = useState(false);
  /** Bytes of the request sent so far; null before the upload starts. */
  const [sent, setSent] = useState<{ loaded: number; total: number } | null>(null);
  const abort = useRef<AbortController | null>(null);

  useEffect(() => () => void (preview && URL.revokeObjectURL(preview)), [preview]);

  function choose(candidate: File | undefined) {
    if (!candidate) return;
    const error = checkPhoto(candidate);
    if (error) {
      setProblem({ title: error });
      setFile(null);
      setPreview(null);
      return;
    }
    setProblem(null);
    setFile(candidate);
    setPreview(URL.createObjectURL(candidate));
    if (mode === 'new' && !name) setName(candidate.name.replace(/\.[^.]+$/, '').replace(/[-_]+/g, ' ').slice(0, 80));
  }

  function onDrop(event: DragEvent) {
    event.preventDefault();
    setOver(false);
    choose(event.dataTransfer.files[0]);
  }

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!file) return setProblem({ title: 'Choose a photo first.' });
    if (mode === 'new' && !name.trim()) return setProblem({ title: 'Name the new subject.' });
    setSending(true);
    setProblem(null);
    setSent({ loaded: 0, total: file.size });
    const body = new FormData();
    body.set('photo', file);
    if (mode === 'existing') body.set('subjectId', subjectId);
    else body.set('newSubjectName', name.trim());
    body.set('idempotencyKey', crypto.randomUUID());
    abort.current = new AbortController();
    try {
      const { body: result } = await sendWithProgress('/api/upload', body, { onProgress: (loaded, total) => setSent({ loaded, total }), signal: abort.current.signal });
      if (result?.reconstructionId) {
        window.location.assign(`/reconstructions/${encodeURIComponent(result.reconstructionId)}`);
        return;
      }
      if (result?.error?.code === 'UNAUTHENTICATED') {
        window.location.assign(`/sign-in?next=/upload&reason=expired`);
        return;
      }
      const advice = errorAdvice(result?.error?.code);
      setProblem({ title: advice.title, action: result?.error?.message ? `${result.error.message}. ${advice.action}` : advice.action });
    } catch (error) {
      setProblem(
        error instanceof DOMException && error.name === 'AbortError'
          ? { title: 'Upload cancelled.', action: 'Nothing was stored. Upload again when you are ready.' }
          : { title: 'The upload did not reach the server.', action: 'Check your connection and try again.' },
      );
    }
    abort.current = null;
    setSent(null);
    setSending(false);
  }

  return (
    <form className="panel upload-form" onSubmit={onSubmit} noValidate aria-busy={sending}>
      <fieldset className="fieldset">
        <legend>Subject</legend>
        <label className="radio-row">
          <input type="radio" name="mode" value="new" checked={mode === 'new'} onChange={() => setMode('new')} />
          New subject
        </label>
        {mode === 'new' && (
          <>
            <label htmlFor={`${ids}-name`} className="sr-only">
              Name of the new subject
            </label>
            <input id={`${ids}-name`} type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder="Name, e.g. Ada" maxLength={200} />
          </>
        )}
        <label className="radio-row">
          <input type="radio" name="mode" value="existing" checked={mode === 'existing'} onChange={() => setMode('existing')} disabled={subjects.length === 0} />
          Existing subject{subjects.length === 0 ? ' (none yet)' : ''}
        </label>
        {mode === 'existing' && (
          <>
            <label htmlFor={`${ids}-subject`} className="sr-only">
              Existing subject
            </label>
            <select id={`${ids}-subject`} value={subjectId} onChange={(e) => setSubjectId(e.target.value)}>
              {subjects.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.displayName}
                </option>
              ))}
            </select>
          </>
        )}
      </fieldset>

      <div className="field-label" id={`${ids}-photo-label`}>
        Photo
      </div>
      <label
        className="dropzone"
        data-over={over}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <input
          ref={input}
          className="sr-only"
          type="file"
          name="photo"
          accept={ACCEPTED_TYPES.join(',')}
          aria-labelledby={`${ids}-photo-label`}
          aria-describedby={`${ids}-photo-hint`}
          onChange={(e: ChangeEvent<HTMLInputElement>) => choose(e.target.files?.[0])}
        />
        {preview ? (
          // eslint-disable-next-line @next/next/no-img-element -- a local object URL
          <img src={preview} alt="The chosen photo" />
        ) : (
          <span aria-hidden="true" style={{ fontSize: '2rem' }}>
            ⇪
          </span>
        )}
        <span id={`${ids}-photo-hint`}>{file ? `${file.name} · ${(file.size / 1024 / 1024).toFixed(1)} MB · click or drop to change` : 'Drop a photo here, or click to choose one'}</span>
      </label>

      <div aria-live="assertive" style={{ minHeight: '1px' }}>
        {problem && (
          <div className="callout callout-error" role="alert" style={{ marginTop: 16 }}>
            <h2>{problem.title}</h2>
            {problem.action && <p>{problem.action}</p>}
          </div>
        )}
      </div>

      {sent && <UploadProgress loaded={sent.loaded} total={sent.total} />}

      <p className="actions" style={{ marginTop: 20, marginBottom: 0 }}>
        <button type="submit" className="button primary" disabled={sending || !file}>
          {sending ? 'Uploading…' : 'Upload and reconstruct'}
        </button>
        {sending && sent && sent.loaded < sent.total && (
          <button type="button" className="button" onClick={() => abort.current?.abort()}>
            Cancel upload
          </button>
        )}
      </p>
    </form>
  );
}

/** The bytes of the photo on their way to the server; at 100 % the server checks the photo and queues the job. */
function UploadProgress({ loaded, total }: { loaded: number; total: number }) {
  const percent = total > 0 ? Math.min(100, Math.round((loaded / total) * 100)) : 0;
  const done = total > 0 && loaded >= total;
  const text = done ? 'Photo sent; checking it and queueing the reconstruction…' : `Sending the photo: ${formatBytes(loaded)} of ${formatBytes(total)}`;
  return (
    <div className="upload-progress" data-testid="upload-progress" data-phase={done ? 'processing' : 'sending'}>
      <div
        className="progress-track"
        role="progressbar"
        aria-label="Upload progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={`${percent} %, ${text}`}
      >
        <div className="progress-fill" style={{ width: `${percent}%` }} />
      </div>
      <p className="progress-facts" aria-live="polite">
        <span>{percent} %</span>
        <span>{text}</span>
      </p>
    </div>
  );
}
