/**
 * The dating rule: an hour belongs to the document of the UTC date on which it starts (the
 * application selects day documents by UTC date), in the slot of its plant-local hour number.
 */
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The document's startTime for a date: that date at 00:00:00.000Z. */
export function dayStart(date: string): Date {
  return new Date(`${date}T00:00:00.000Z`);
}

/** The UTC date ("YYYY-MM-DD") of the day document an hour starting at hourStart belongs to. */
export function documentDateOf(hourStart: number): string {
  return new Date(hourStart).toISOString().slice(0, 10);
}

/** True for a real calendar date written "YYYY-MM-DD". */
export function isDocumentDate(value: unknown): value is string {
  if (typeof value !== 'string' || !DATE.test(value)) return false;
  const start = dayStart(value);
  return !Number.isNaN(start.getTime()) && start.toISOString().slice(0, 10) === value;
}
