import { usePlace } from '../shared/router.ts';

/** The operator console: admins operate, auditors read and verify. */
export function Console() {
  const place = usePlace();
  return (
    <main id="main">
      <h1>Console</h1>
      <p>{place.path}</p>
    </main>
  );
}
