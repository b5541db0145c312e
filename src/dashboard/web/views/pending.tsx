// A view whose data this database does not have yet.
export function Pending({ name }: { name: string }) {
  return (
    <div class="view" data-view={name} data-ready="true">
      <p class="empty">This view is not built yet.</p>
    </div>
  );
}
