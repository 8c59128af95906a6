import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import './globals.css';

export const metadata: Metadata = {
  title: 'SeIF gallery',
  description: 'Animatable 3D heads reconstructed from a single photo',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="site-header">
          <a className="brand" href="/">
            <span aria-hidden="true" className="brand-mark" />
            SeIF
          </a>
          <nav aria-label="Main">
            <a href="/">Gallery</a>
            <a href="/demo">Demo</a>
          </nav>
        </header>
        <main className="site-main">{children}</main>
      </body>
    </html>
  );
}
