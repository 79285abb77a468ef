/** "Previous page" / "Next page" links, and where the reader is. */
export function Pager({
  page,
  pages,
  href,
}: {
  page: number;
  pages: number;
  href: (page: number) => string;
}) {
  if (pages <= 1 && page <= 1) return null;
  return (
    <nav class="pager" aria-label="Pages">
      {page > 1 ? <a href={href(page - 1)}>Previous page</a> : <span />}
      <span>
        Page {page} of {Math.max(pages, 1)}
      </span>
      {page < pages ? <a href={href(page + 1)}>Next page</a> : <span />}
    </nav>
  );
}
