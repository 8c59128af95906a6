import type { Metadata } from 'next';
import { HeadViewer } from '../components/head-viewer';

export const metadata: Metadata = {
  title: 'Demo head · SeIF',
  description: 'The default FLAME-topology head model with its 52 ARKit expressions, in the SeIF viewer',
};

/** The viewer on the default head model (no reconstruction, no API): GET /api/demo-head builds the GLB. */
export default function DemoPage() {
  return (
    <>
      <header className="page-head">
        <h1>Demo head</h1>
        <p>
          The default head model every reconstruction shares its topology with: FLAME 2023 Open with 52 ARKit
          expressions. Drag to orbit, try the presets, or move any slider.
        </p>
      </header>
      <HeadViewer src="/api/demo-head" label="Default head model" screenshotName="seif-demo-head.png" />
    </>
  );
}
