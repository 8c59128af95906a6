import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { readKey } from '../lib/session';
import { signOut } from './sign-in/actions';
import './globals.css';

export const metadata: Metadata = {
  title: 'SeIF gallery',
  description: 'Animatable 3D heads reconstructed from a single photo',
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const signedIn = Boolean(await readKey());
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="site-header">
          <a className="brand" href="/">
            <span aria-hidden="true" className="brand-mark" />
            SeIF
          </a>
          <nav aria-label="Main">
            <a href="/">Gallery</a>
            <a href="/upload">Upload</a>
            <a href="/demo">Demo</a>
            {signedIn ? (
              <form action={signOut} className="inline-form">
                <button type="submit" className="link-button">
                  Sign out
                </button>
              </form>
            ) : (
              <a href="/sign-in">Sign in</a>
            )}
          </nav>
        </header>
        <main className="site-main" id="main">
          {children}
        </main>
      </body>
    </html>
  );
}
