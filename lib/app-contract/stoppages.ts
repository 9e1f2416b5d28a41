/**
 * Who owns a stoppage's fields. The package detects automatic stoppages and keeps their timing
 * (startTime, endTime, duration, isPending) while it alone knows them; once an operator has
 * classified one, its classification (reason, description, sapNotificationNumber, isClassified)
 * and isPending are the operator's, and the package only extends its endTime and duration
 * while the machine still stands still, as the application's own ingestion does.
 */
export const AUTOMATIC_REASON = 'unclassified';

/** Classified by an operator (or entered by one): isClassified, or a reason other than "unclassified". A missing reason is not a classification. */
export function isClassifiedStoppage(stoppage: { isClassified?: unknown; reason?: unknown }): boolean {
  return stoppage.isClassified === true || (typeof stoppage.reason === 'string' && stoppage.reason !== AUTOMATIC_REASON);
}
