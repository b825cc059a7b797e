/* backend.c: jobs and the session cache over one maskgit-rpc child (backend-process.c).
 *
 * A job is a small state machine over up to three requests:
 *   OPEN  session.open {image: {path}}          (only when the layer has no live session)
 *   EDIT  inpaint/outpaint/classEdit {session}  (or generate / models.list without a session)
 *   UNDO  session.undo {session}                (the session returns to the source pixels, so the
 *                                                next edit of the unchanged layer re-encodes nothing)
 * The session cache maps "image:drawable" to {session id, pixel checksum}; a changed checksum
 * closes the old session and opens a new one; a session the server evicted is re-opened once.
 */
#include "backend-private.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static void
job_free (Job *job)
{
  g_free (job->method);
  if (job->params)
    json_object_unref (job->params);
  g_free (job->cache_key); g_free (job->checksum); g_free (job->image_path);
  g_free (job->session); g_free (job->message); g_free (job->payload);
  g_free (job);
}

static void
cache_entry_free (CacheEntry *e)
{
  g_free (e->session); g_free (e->checksum); g_free (e);
}
/* ---- jobs --------------------------------------------------------------------------------- */

void
job_finish (Backend *b, Job *job, JobState state, gchar *payload)
{
  job->state = state;
  job->rpc_id = 0;
  g_free (job->payload);
  job->payload = payload;
  maskgit_log ("job %d %s: %s", job->id,
               state == JOB_DONE ? "done" : state == JOB_CANCELLED ? "cancelled" : "failed",
               state == JOB_DONE ? job->method : payload);
}

static gchar *
job_token (Job *job)
{
  return g_strdup_printf ("maskgit-gimp-job-%d", job->id);
}

static void
job_send (Backend *b, Job *job)
{
  gchar *token = job_token (job);
  JsonObject *params;
  const gchar *method;

  if (job->stage == STAGE_OPEN)
    {
      JsonObject *image = json_object_new ();
      params = json_object_new ();
      json_object_set_string_member (image, "path", job->image_path);
      json_object_set_object_member (params, "image", image);
      method = "session.open";
      g_free (job->message);
      job->message = g_strdup ("encoding the layer");
    }
  else if (job->stage == STAGE_EDIT)
    {
      params = object_copy (job->params);
      if (job->session)
        json_object_set_string_member (params, "session", job->session);
      method = job->method;
    }
  else
    {
      JsonObject *output = json_object_new ();
      params = json_object_new ();
      json_object_set_string_member (params, "session", job->session);
      json_object_set_string_member (output, "transport", "none");
      json_object_set_object_member (params, "output", output);
      method = "session.undo";
    }
  job->rpc_id = send_request (b, method, params, job->stage == STAGE_UNDO ? NULL : token);
  json_object_unref (params);
  g_free (token);
  if (!job->rpc_id)
    backend_broken (b);
}

static Job *
job_for_rpc (Backend *b, gint64 rpc_id)
{
  GHashTableIter it;
  gpointer key, value;

  g_hash_table_iter_init (&it, b->jobs);
  while (g_hash_table_iter_next (&it, &key, &value))
    if (((Job *) value)->rpc_id == rpc_id && ((Job *) value)->state == JOB_RUNNING)
      return value;
  return NULL;
}

static gchar *
error_text (JsonObject *err, gint64 *code)
{
  const gchar *message = json_object_get_string_member_with_default (err, "message", "unknown error");
  *code = json_object_get_int_member_with_default (err, "code", 0);
  return g_strdup_printf ("maskgit-rpc: %s", message);
}

static void
handle_answer (Backend *b, Job *job, JsonObject *msg)
{
  JsonObject *err = json_object_has_member (msg, "error") ? json_object_get_object_member (msg, "error") : NULL;
  JsonNode *result = json_object_get_member (msg, "result");
  gint64 code = 0;

  job->last_activity = g_get_monotonic_time ();
  if (err)
    {
      gchar *text = error_text (err, &code);

      if (code == CODE_CANCELLED || job->cancel_requested)
        job_finish (b, job, JOB_CANCELLED, g_strdup ("Cancelled"));
      else if (job->stage == STAGE_UNDO)
        {
          /* The edit succeeded; only the cache entry is now unreliable. */
          g_hash_table_remove (b->cache, job->cache_key);
          job_finish (b, job, JOB_DONE, g_strdup (job->payload));
        }
      else if (job->stage == STAGE_EDIT && job->session && code == CODE_SESSION_NOT_FOUND && !job->retried)
        {
          maskgit_log ("session %s gone (evicted); re-opening", job->session);
          g_hash_table_remove (b->cache, job->cache_key);
          g_clear_pointer (&job->session, g_free);
          job->retried = TRUE;
          job->stage = STAGE_OPEN;
          job_send (b, job);
        }
      else
        job_finish (b, job, JOB_FAILED, g_strdup (text));
      g_free (text);
      return;
    }
  switch (job->stage)
    {
    case STAGE_OPEN:
      {
        JsonObject *r = json_node_get_object (result);
        CacheEntry *e = g_new0 (CacheEntry, 1);

        job->session = g_strdup (json_object_get_string_member (r, "id"));
        b->sessions_opened++;
        e->session = g_strdup (job->session);
        e->checksum = g_strdup (job->checksum);
        g_hash_table_replace (b->cache, g_strdup (job->cache_key), e);
        maskgit_log ("session.open %s -> %s (%d opened)", job->cache_key, job->session, b->sessions_opened);
        if (job->cancel_requested)
          {
            job_finish (b, job, JOB_CANCELLED, g_strdup ("Cancelled"));
            return;
          }
        job->stage = STAGE_EDIT;
        job_send (b, job);
        break;
      }
    case STAGE_EDIT:
      b->edits++;
      g_free (job->payload);
      job->payload = json_text (result);
      if (job->session)
        {
          job->stage = STAGE_UNDO;
          job_send (b, job);
        }
      else
        job_finish (b, job, job->cancel_requested ? JOB_CANCELLED : JOB_DONE, g_strdup (job->payload));
      break;
    case STAGE_UNDO:
      job_finish (b, job, job->cancel_requested ? JOB_CANCELLED : JOB_DONE, g_strdup (job->payload));
      break;
    }
}

void
handle_line (Backend *b, const gchar *line)
{
  JsonNode *node = json_from_string (line, NULL);
  JsonObject *msg;

  if (!node || !JSON_NODE_HOLDS_OBJECT (node))
    {
      maskgit_log ("unparsable line from backend: %.200s", line);
      if (node) json_node_unref (node);
      return;
    }
  msg = json_node_get_object (node);
  if (json_object_has_member (msg, "method"))
    {
      const gchar *method = json_object_get_string_member (msg, "method");
      JsonObject *p = json_object_has_member (msg, "params") ? json_object_get_object_member (msg, "params") : NULL;

      if (p && g_strcmp0 (method, "notifications/progress") == 0)
        {
          const gchar *token = json_object_get_string_member_with_default (p, "progressToken", "");
          gint id = 0;

          if (sscanf (token, "maskgit-gimp-job-%d", &id) == 1)
            {
              Job *job = g_hash_table_lookup (b->jobs, GINT_TO_POINTER (id));
              gdouble total = json_object_get_double_member_with_default (p, "total", 0);

              if (job)
                {
                  job->last_activity = g_get_monotonic_time ();
                  if (total > 0)
                    job->fraction = json_object_get_double_member_with_default (p, "progress", 0) / total;
                  if (json_object_has_member (p, "message"))
                    {
                      g_free (job->message);
                      job->message = g_strdup (json_object_get_string_member (p, "message"));
                    }
                }
            }
        }
    }
  else if (json_object_has_member (msg, "id"))
    {
      JsonNode *idn = json_object_get_member (msg, "id");
      if (JSON_NODE_HOLDS_VALUE (idn) && json_node_get_value_type (idn) == G_TYPE_INT64)
        {
          Job *job = job_for_rpc (b, json_node_get_int (idn));
          if (job)
            handle_answer (b, job, msg);
        }
    }
  json_node_unref (node);
}

/* Twice a second: cancel orphaned jobs, fail (and restart) on a silent backend, forget old jobs. */
static gboolean
on_tick (gpointer data)
{
  Backend *b = data;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter it;
  gpointer key, value;
  gboolean stalled = FALSE;

  g_hash_table_iter_init (&it, b->jobs);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      Job *job = value;
      if (job->state != JOB_RUNNING)
        {
          if (now - job->last_poll > 120 * G_USEC_PER_SEC)
            g_hash_table_iter_remove (&it);
          continue;
        }
      if (b->orphan_timeout_s > 0 && !job->cancel_requested &&
          now - job->last_poll > b->orphan_timeout_s * G_USEC_PER_SEC)
        {
          maskgit_log ("job %d: its plug-in stopped polling (cancelled or killed); cancelling", job->id);
          backend_cancel (b, job->id);
        }
      /* Silent means silent for everyone: a job queued behind a long one hears nothing itself. */
      if (now - job->last_activity > b->answer_timeout_s * G_USEC_PER_SEC &&
          now - b->last_output > b->answer_timeout_s * G_USEC_PER_SEC)
        stalled = TRUE;
    }
  if (stalled)
    {
      gchar *why = g_strdup_printf ("The MaskGIT backend did not answer for %.0f s; it was stopped "
                                    "and restarts with the next call (MASKGIT_GIMP_TIMEOUT sets the limit)",
                                    b->answer_timeout_s);
      maskgit_log ("%s", why);
      backend_stop (b, why);
      g_free (why);
    }
  return G_SOURCE_CONTINUE;
}
/* ---- public ------------------------------------------------------------------------------- */

Backend *
backend_new (gdouble orphan_timeout_s)
{
  Backend *b = g_new0 (Backend, 1);
  const gchar *t = g_getenv ("MASKGIT_GIMP_TIMEOUT");

  b->in_fd = b->out_fd = b->err_fd = -1;
  b->out_buf = g_string_new (NULL);
  b->err_tail = g_string_new (NULL);
  b->jobs = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) job_free);
  b->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) cache_entry_free);
  b->orphan_timeout_s = orphan_timeout_s;
  b->answer_timeout_s = t && g_ascii_strtod (t, NULL) > 0 ? g_ascii_strtod (t, NULL) : 600;
  b->tick = g_timeout_add (500, on_tick, b);
  signal (SIGPIPE, SIG_IGN);
  return b;
}

void
backend_free (Backend *b)
{
  if (b->pid > 0)
    maskgit_log ("stopping backend pid=%d", (int) b->pid);
  backend_stop (b, "The MaskGIT backend was stopped");
  g_source_remove (b->tick);
  g_hash_table_destroy (b->jobs);
  g_hash_table_destroy (b->cache);
  g_string_free (b->out_buf, TRUE);
  g_string_free (b->err_tail, TRUE);
  g_free (b);
}

gint
backend_submit (Backend *b, const gchar *method, const gchar *params_json,
                const gchar *cache_key, const gchar *checksum, const gchar *image_path)
{
  Job *job = g_new0 (Job, 1);
  JsonNode *node = json_from_string (params_json && *params_json ? params_json : "{}", NULL);
  gchar *error = NULL;

  job->id = ++b->next_job_id;
  job->state = JOB_RUNNING;
  job->method = g_strdup (method);
  job->last_poll = job->last_activity = g_get_monotonic_time ();
  g_hash_table_insert (b->jobs, GINT_TO_POINTER (job->id), job);
  if (!node || !JSON_NODE_HOLDS_OBJECT (node))
    {
      job_finish (b, job, JOB_FAILED, g_strdup ("internal error: the request parameters are not a JSON object"));
      if (node) json_node_unref (node);
      return job->id;
    }
  job->params = json_object_ref (json_node_get_object (node));
  json_node_unref (node);
  if (b->pid <= 0 && !backend_start (b, &error))
    {
      maskgit_log ("%s", error);
      job_finish (b, job, JOB_FAILED, error);
      return job->id;
    }
  if (image_path && *image_path)
    {
      CacheEntry *e;

      job->image_path = g_strdup (image_path);
      job->cache_key = g_strdup (cache_key && *cache_key ? cache_key : image_path);
      job->checksum = g_strdup (checksum ? checksum : "");
      e = g_hash_table_lookup (b->cache, job->cache_key);
      if (e && g_strcmp0 (e->checksum, job->checksum) == 0 && *job->checksum)
        {
          b->sessions_reused++;
          job->session = g_strdup (e->session);
          job->stage = STAGE_EDIT;
          maskgit_log ("%s %s: reusing session %s", method, job->cache_key, job->session);
        }
      else
        {
          if (e)
            {
              /* The layer changed since its session was opened: that token grid is stale. */
              JsonObject *p = json_object_new ();
              maskgit_log ("%s changed; closing stale session %s", job->cache_key, e->session);
              json_object_set_string_member (p, "session", e->session);
              send_request (b, "session.close", p, NULL);
              json_object_unref (p);
              g_hash_table_remove (b->cache, job->cache_key);
            }
          job->stage = STAGE_OPEN;
        }
    }
  else
    job->stage = STAGE_EDIT;
  job_send (b, job);
  return job->id;
}

JobState
backend_poll (Backend *b, gint id, gdouble *fraction, gchar **message, gchar **payload)
{
  Job *job = g_hash_table_lookup (b->jobs, GINT_TO_POINTER (id));
  JobState state;

  if (!job)
    {
      *fraction = 0;
      *message = g_strdup ("");
      *payload = g_strdup ("internal error: unknown MaskGIT job (the backend extension restarted?)");
      return JOB_FAILED;
    }
  job->last_poll = g_get_monotonic_time ();
  state = job->state;
  *fraction = state == JOB_DONE ? 1.0 : job->fraction;
  *message = g_strdup (job->message ? job->message : "");
  *payload = g_strdup (job->payload ? job->payload : "");
  if (state != JOB_RUNNING)
    g_hash_table_remove (b->jobs, GINT_TO_POINTER (id));
  return state;
}

void
backend_cancel (Backend *b, gint id)
{
  Job *job = g_hash_table_lookup (b->jobs, GINT_TO_POINTER (id));

  if (!job || job->state != JOB_RUNNING || job->cancel_requested)
    return;
  job->cancel_requested = TRUE;
  maskgit_log ("job %d: cancel requested (request %" G_GINT64_FORMAT ")", id, job->rpc_id);
  if (job->rpc_id && job->stage != STAGE_UNDO)
    {
      JsonObject *p = json_object_new ();
      json_object_set_int_member (p, "id", job->rpc_id);
      send_notification (b, "$/cancelRequest", p);
    }
}

void
backend_get_status (Backend *b, BackendStatus *s)
{
  s->pid = b->pid;
  s->starts = b->starts;
  s->sessions_opened = b->sessions_opened;
  s->sessions_reused = b->sessions_reused;
  s->edits = b->edits;
  s->cached = g_hash_table_size (b->cache);
  s->running = 0;
  {
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init (&it, b->jobs);
    while (g_hash_table_iter_next (&it, &key, &value))
      s->running += ((Job *) value)->state == JOB_RUNNING;
  }
}
