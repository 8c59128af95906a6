'use client';

import { useRef, useState } from 'react';
import { deleteSubject } from './actions';

/** Delete with a confirmation step: the first button only asks; the second, red one deletes. Escape cancels. */
export function DeleteSubject({ id, name }: { id: string; name: string }) {
  const [asking, setAsking] = useState(false);
  const cancel = useRef<HTMLButtonElement>(null);
  const first = useRef<HTMLButtonElement>(null);
  if (!asking)
    return (
      <button
        ref={first}
        type="button"
        className="button danger"
        onClick={() => {
          setAsking(true);
          requestAnimationFrame(() => cancel.current?.focus());
        }}
      >
        Delete subject…
      </button>
    );
  return (
    <form
      action={deleteSubject}
      className="callout callout-error"
      role="alertdialog"
      aria-labelledby="delete-title"
      aria-describedby="delete-desc"
      onKeyDown={(e) => e.key === 'Escape' && setAsking(false)}
    >
      <h2 id="delete-title">Delete “{name}”?</h2>
      <p id="delete-desc">Its photos, every reconstruction and all downloadable files are removed for good.</p>
      <input type="hidden" name="id" value={id} />
      <div className="actions" style={{ marginBottom: 0 }}>
        <button type="submit" className="button danger confirm">
          Delete permanently
        </button>
        <button ref={cancel} type="button" className="button" onClick={() => setAsking(false)}>
          Keep it
        </button>
      </div>
    </form>
  );
}
