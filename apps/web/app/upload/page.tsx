import type { Metadata } from 'next';
import { graphql } from '../../lib/api';
import { handleAuthError, requireKey } from '../../lib/session';
import { UploadForm } from './upload-form';

export const metadata: Metadata = { title: 'Upload · SeIF' };
export const dynamic = 'force-dynamic';

export default async function UploadPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const preselect = typeof params.subject === 'string' ? params.subject : undefined;
  const here = preselect ? `/upload?subject=${encodeURIComponent(preselect)}` : '/upload';
  const key = await requireKey(here);
  const data = await graphql<{ subjects: { edges: { node: { id: string; displayName: string } }[] } }>(
    '{ subjects(first: 100, orderBy: NEWEST_FIRST) { edges { node { id displayName } } } }',
    {},
    key,
  ).catch((error: unknown) => handleAuthError(error, here));
  return (
    <>
      <header className="page-head">
        <h1>Upload a portrait</h1>
        <p>One photo of one face, facing the camera, well lit. JPEG, PNG, WebP, AVIF or TIFF, at most 20 MB.</p>
      </header>
      <UploadForm subjects={data.subjects.edges.map((e) => e.node)} preselect={preselect} />
    </>
  );
}
