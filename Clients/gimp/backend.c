/* backend.c: jobs and the session cache over one maskgit-rpc child (backend-process.c).
 *
 * A job is a small state machine over up to four requests:
 *   OPEN  session.open {image: {path}, reuseTokens: true}
 *                                               (only when the layer has no live session; the server
 *                                                starts its token grid from any open revision with
 *                                                the same RGB samples: `tokensFrom` in the answer)
 *   EDIT  inpaint/outpaint/classEdit {session}  (or generate / models.list without a session)
 *   FORK  session.fork {session}                (the result, image and tokens, as a session of its
 *                                                own: the layer the plug-in makes of it opens with
 *                                                those tokens later, even after the source's next
 *                                                edit dropped the redo revision; failure is logged
 *                                                and the job goes on)
 *   UNDO  session.undo {session}                (the session returns to the source pixels, so the
 *                                                next edit of the unchanged layer re-encodes nothing)
 * The session cache maps "image:drawable" to {session id, pixel checksum}; a changed checksum
 * closes the old session and opens a new one; a session the server evicted is re-opened once.
 * Forks are not in the cache (the result layer does not exist yet): the newest max_forks stay
 * open (older ones are closed, one a result layer's session adopted is closed at once, and one
 * the server evicted is only forgotten: its layer then opens without tokens, as before).
 */
#include "backend-private.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_MAX_FORKS 4

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
      if (!b->no_reuse)
        json_object_set_boolean_member (params, "reuseTokens", TRUE);
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
  else if (job->stage == STAGE_FORK)
    {
      params = json_object_new ();
      json_object_set_string_member (params, "session", job->session);
      method = "session.fork";
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
  job->rpc_id = send_request (b, method, params,
                              job->stage == STAGE_UNDO || job->stage == STAGE_FORK ? NULL : token);
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

/* ---- forks -------------------------------------------------------------------------------- */

static gint
max_forks (Backend *b)
{
  if (b->max_forks >= 0)
    return b->max_forks;
  /* A quarter of the server's sessions: the rest stay for the layers' own sessions. */
  return b->server_max_sessions > 0 ? b->server_max_sessions / 4 : DEFAULT_MAX_FORKS;
}

static gboolean
forget_fork (Backend *b, const gchar *session)
{
  GList *l = g_queue_find_custom (b->forks, session, (GCompareFunc) g_strcmp0);

  if (!l)
    return FALSE;
  g_free (l->data);
  g_queue_delete_link (b->forks, l);
  return TRUE;
}

static void
close_session (Backend *b, const gchar *session)
{
  JsonObject *p = json_object_new ();
  json_object_set_string_member (p, "session", session);
  send_request (b, "session.close", p, NULL);   /* its answer (even -32001) is not awaited */
  json_object_unref (p);
}

/* Forks the server evicted to make room (`evictedSessions` of any answer) are only forgotten. */
static void
note_evicted (Backend *b, JsonNode *result)
{
  JsonObject *r = result && JSON_NODE_HOLDS_OBJECT (result) ? json_node_get_object (result) : NULL;
  JsonArray *evicted = r && json_object_has_member (r, "evictedSessions") &&
                       JSON_NODE_HOLDS_ARRAY (json_object_get_member (r, "evictedSessions"))
                       ? json_object_get_array_member (r, "evictedSessions") : NULL;

  for (guint i = 0; evicted && i < json_array_get_length (evicted); i++)
    {
      const gchar *id = json_array_get_string_element (evicted, i);
      if (id && forget_fork (b, id))
        maskgit_log ("fork %s evicted by the server (its result layer will be encoded again)", id);
    }
}

static void
keep_fork (Backend *b, const gchar *session)
{
  g_queue_push_tail (b->forks, g_strdup (session));
  while ((gint) g_queue_get_length (b->forks) > max_forks (b))
    {
      gchar *old = g_queue_pop_head (b->forks);
      maskgit_log ("closing the oldest fork %s (%d kept)", old, max_forks (b));
      close_session (b, old);
      g_free (old);
    }
}

/* error.data.field, or NULL */
static const gchar *
error_field (JsonObject *err)
{
  JsonObject *data = json_object_has_member (err, "data") && JSON_NODE_HOLDS_OBJECT (json_object_get_member (err, "data"))
                     ? json_object_get_object_member (err, "data") : NULL;
  return data ? json_object_get_string_member_with_default (data, "field", NULL) : NULL;
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

      if (job->stage == STAGE_FORK)
        {
          /* Only the result layer's later edit gets more expensive: the job goes on. */
          maskgit_log ("session.fork %s failed (%s); going on", job->session, text);
          job->stage = STAGE_UNDO;
          job_send (b, job);
        }
      else if (job->stage == STAGE_OPEN && code == CODE_INVALID_PARAMS && !b->no_reuse && !job->cancel_requested &&
               g_strcmp0 (error_field (err), "reuseTokens") == 0)
        {
          maskgit_log ("the server does not know session.open reuseTokens (an older maskgit-rpc); opening without");
          b->no_reuse = TRUE;
          job_send (b, job);
        }
      else if (code == CODE_CANCELLED || job->cancel_requested)
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
  note_evicted (b, result);
  switch (job->stage)
    {
    case STAGE_OPEN:
      {
        JsonObject *r = json_node_get_object (result);
        CacheEntry *e = g_new0 (CacheEntry, 1);
        JsonObject *from = json_object_has_member (r, "tokensFrom") &&
                           JSON_NODE_HOLDS_OBJECT (json_object_get_member (r, "tokensFrom"))
                           ? json_object_get_object_member (r, "tokensFrom") : NULL;

        job->session = g_strdup (json_object_get_string_member (r, "id"));
        b->sessions_opened++;
        e->session = g_strdup (job->session);
        e->checksum = g_strdup (job->checksum);
        g_hash_table_replace (b->cache, g_strdup (job->cache_key), e);
        maskgit_log ("session.open %s -> %s (%d opened)", job->cache_key, job->session, b->sessions_opened);
        if (from)
          {
            const gchar *source = json_object_get_string_member_with_default (from, "session", "");
            gint known = (gint) json_object_get_int_member_with_default (from, "known", 0);
            gboolean fork = forget_fork (b, source);

            b->tokens_adopted++;
            b->tokens_known += known;
            maskgit_log ("session %s adopts %d tokens of %s revision %d%s", job->session, known, source,
                         (gint) json_object_get_int_member_with_default (from, "revision", 0),
                         fork ? " (a result fork, now closed)" : "");
            /* The new session holds what the fork kept: the fork is no longer needed. */
            if (fork)
              close_session (b, source);
          }
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
          /* A cancelled job's result is thrown away: nothing to fork. */
          job->stage = max_forks (b) > 0 && !job->cancel_requested ? STAGE_FORK : STAGE_UNDO;
          job_send (b, job);
        }
      else
        job_finish (b, job, job->cancel_requested ? JOB_CANCELLED : JOB_DONE, g_strdup (job->payload));
      break;
    case STAGE_FORK:
      {
        JsonObject *r = json_node_get_object (result);
        const gchar *id = json_object_get_string_member_with_default (r, "id", NULL);

        if (id)
          {
            b->sessions_forked++;
            maskgit_log ("session.fork %s -> %s (the result, %d forked)", job->session, id, b->sessions_forked);
            keep_fork (b, id);
          }
        job->stage = STAGE_UNDO;
        job_send (b, job);
        break;
      }
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
          else if (b->init_rpc_id && json_node_get_int (idn) == b->init_rpc_id &&
                   json_object_has_member (msg, "result") &&
                   JSON_NODE_HOLDS_OBJECT (json_object_get_member (msg, "result")))
            {
              JsonObject *r = json_object_get_object_member (msg, "result");
              JsonObject *limits = json_object_has_member (r, "limits") &&
                                   JSON_NODE_HOLDS_OBJECT (json_object_get_member (r, "limits"))
                                   ? json_object_get_object_member (r, "limits") : NULL;

              b->server_max_sessions = limits ? (gint) json_object_get_int_member_with_default (limits, "maxSessions", 0) : 0;
              maskgit_log ("server keeps %d sessions; %d result forks kept", b->server_max_sessions, max_forks (b));
            }
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
  b->forks = g_queue_new ();
  {
    const gchar *f = g_getenv ("MASKGIT_GIMP_FORKS");
    gchar *end = NULL;
    gint64 n = f && *f ? g_ascii_strtoll (f, &end, 10) : -1;
    b->max_forks = f && *f && end && *end == '\0' && n >= 0 && n <= 1024 ? (gint) n : -1;
  }
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
  g_queue_free_full (b->forks, g_free);
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

void
backend_set_max_forks (Backend *b, gint n)
{
  b->max_forks = n;
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
  if (job->rpc_id && job->stage != STAGE_UNDO && job->stage != STAGE_FORK)
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
  s->sessions_forked = b->sessions_forked;
  s->tokens_adopted = b->tokens_adopted;
  s->tokens_known = b->tokens_known;
  s->cached = g_hash_table_size (b->cache);
  s->running = 0;
  s->forks = g_queue_get_length (b->forks);
  {
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init (&it, b->jobs);
    while (g_hash_table_iter_next (&it, &key, &value))
      s->running += ((Job *) value)->state == JOB_RUNNING;
  }
}
