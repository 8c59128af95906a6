import { fetchHealth } from '../lib/api';
import { GalleryEmpty } from './gallery-empty';

// The gallery reflects live data; never prerender it at build time.
export const dynamic = 'force-dynamic';

export default async function GalleryPage() {
  return <GalleryEmpty health={await fetchHealth()} />;
}
