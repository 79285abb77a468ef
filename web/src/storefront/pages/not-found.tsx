export function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        Nothing lives at this address. <a href="/">Back to the shop</a>.
      </p>
    </section>
  );
}
