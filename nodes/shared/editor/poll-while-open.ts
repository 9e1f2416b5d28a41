/**
 * Keeps a dialog's view of the deployed node current: GET a runtime endpoint, then again
 * intervalMs after each answer (one request at a time, so a slow runtime is never flooded),
 * until stop() when the dialog closes.
 */
export interface Polling {
  /** Ends the polling: no new request, and the one under way is aborted. */
  stop(): void;
}

export function pollWhileOpen<T>(url: string, intervalMs: number, onData: (data: T) => void, onFail: (xhr: JQuery.jqXHR) => void): Polling {
  let running = true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let request: JQuery.jqXHR | undefined;
  const poll = (): void => {
    request = $.getJSON(url)
      .done((data: T) => onData(data))
      .fail((xhr: JQuery.jqXHR) => onFail(xhr))
      .always(() => {
        if (running) timer = setTimeout(poll, intervalMs);
      });
  };
  poll();
  return {
    stop(): void {
      running = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
      request?.abort();
      request = undefined;
    },
  };
}
