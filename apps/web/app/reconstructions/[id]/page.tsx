import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { graphql } from '../../../lib/api';
import type { JobStatus } from '../../../lib/format';
import { handleAuthError, requireKey } from '../../../lib/session';
import { type Progress, ProgressView } from './progress-view';

export const metadata: Metadata = { title: 'Reconstruction · SeIF' };
export const dynamic = 'force-dynamic';

const QUERY = `query($id: ID!) { reconstruction(id: $id) {
  id status stage progress queuePosition attempts error { code message photoProblem retryable } subject { id displayName }
} }`;

interface Data {
  reconstruction: (Omit<Progress, 'etaSeconds' | 'message'> & { id: string; status: JobStatus; attempts: number; subject: { id: string; displayName: string } }) | null;
}

/** The progress of one reconstruction. The id is in the URL, so reloading mid-job resumes this view. */
export default async function ReconstructionPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const here = `/reconstructions/${encodeURIComponent(id)}`;
  const key = await requireKey(here);
  const data = await graphql<Data>(QUERY, { id }, key).catch((error: unknown) => handleAuthError(error, here));
  const r = data.reconstruction;
  if (!r) notFound();
  return (
    <>
      <header className="page-head">
        <p className="muted">
          <a href={`/subjects/${encodeURIComponent(r.subject.id)}`}>{r.subject.displayName}</a>
        </p>
        <h1>Reconstruction</h1>
      </header>
      <ProgressView
        key={`${r.status}-${r.attempts}`}
        id={r.id}
        subjectId={r.subject.id}
        initial={{ status: r.status, stage: r.stage, progress: r.progress, queuePosition: r.queuePosition, error: r.error, etaSeconds: null, message: null }}
      />
    </>
  );
}
