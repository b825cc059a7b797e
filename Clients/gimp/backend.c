/* backend.c: one maskgit-rpc child process, driven from the GLib main loop.
 *
 * Requests go out as one JSON-RPC 2.0 line each; answers and notifications/progress come back on
 * the child's stdout and are read by an IO watch, so nothing here blocks. A job is a small state
 * machine over up to three requests:
 *   OPEN  session.open {image: {path}}          (only when the layer has no live session)
 *   EDIT  inpaint/outpaint/classEdit {session}  (or generate / models.list without a session)
 *   UNDO  session.undo {session}                (the session returns to the source pixels, so the
 *                                                next edit of the unchanged layer re-encodes nothing)
 * The session cache maps "image:drawable" to {session id, pixel checksum}; a changed checksum
 * closes the old session and opens a new one; a session the server evicted is re-opened once.
 */
#include "maskgit-gimp.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#define CODE_SESSION_NOT_FOUND (-32001)
#define CODE_CANCELLED         (-32800)

typedef enum { STAGE_OPEN, STAGE_EDIT, STAGE_UNDO } Stage;

typedef struct {
  gint       id;
  JobState   state;
  Stage      stage;
  gchar     *method;
  JsonObject *params;
  gchar     *cache_key, *checksum, *image_path;
  gchar     *session;
  gint64     rpc_id;        /* the request in flight, 0 when none */
  gdouble    fraction;
  gchar     *message;
  gchar     *payload;
  gint64     last_poll, last_activity;  /* monotonic microseconds */
  gboolean   cancel_requested, retried;
} Job;

typedef struct {
  gchar *session;
  gchar *checksum;
} CacheEntry;

struct Backend {
  GPid     pid;
  gint     in_fd, out_fd, err_fd;
  guint    out_watch, err_watch, child_watch, tick;
  GString *out_buf, *err_tail;
  gint64   next_rpc_id;
  gint     next_job_id;
  GHashTable *jobs;      /* job id -> Job* */
  GHashTable *cache;     /* "image:drawable" -> CacheEntry* */
  gint     starts, sessions_opened, sessions_reused, edits;
  gdouble  orphan_timeout_s, answer_timeout_s;
};

gchar *maskgit_self_path = NULL;

/* ---- small helpers ------------------------------------------------------------------------ */

void
maskgit_log (const gchar *format, ...)
{
  va_list args;
  gchar *text, *path, *stamp;
  GDateTime *now = g_date_time_new_now_utc ();
  FILE *f;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  stamp = g_date_time_format (now, "%H:%M:%S");
  path = g_build_filename (gimp_directory (), "maskgit-gimp.log", NULL);
  if ((f = fopen (path, "a")))
    {
      fprintf (f, "%s [%d] %s\n", stamp, (int) getpid (), text);
      fclose (f);
    }
  if (g_getenv ("MASKGIT_GIMP_DEBUG"))
    g_printerr ("maskgit-gimp: %s\n", text);
  g_free (path); g_free (stamp); g_free (text);
  g_date_time_unref (now);
}

const gchar *
maskgit_work_dir (void)
{
  static gchar *dir = NULL;
  struct stat st;

  if (dir)
    return dir;
  dir = g_strdup_printf ("%s/maskgit-gimp-%u", g_get_tmp_dir (), (unsigned) getuid ());
  if (g_mkdir_with_parents (dir, 0700) != 0 || lstat (dir, &st) != 0 ||
      !S_ISDIR (st.st_mode) || st.st_uid != getuid ())
    {
      /* Someone else owns the name: fall back to a fresh private folder. */
      g_free (dir);
      dir = g_dir_make_tmp ("maskgit-gimp-XXXXXX", NULL);
    }
  return dir;
}

static gchar *
json_text (JsonNode *node)
{
  JsonGenerator *gen = json_generator_new ();
  gchar *text;

  json_generator_set_root (gen, node);
  text = json_generator_to_data (gen, NULL);
  g_object_unref (gen);
  return text;
}

static gchar *
object_text (JsonObject *object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  gchar *text;

  json_node_set_object (node, object);
  text = json_text (node);
  json_node_unref (node);
  return text;
}

static JsonObject *
object_copy (JsonObject *object)
{
  gchar *text = object_text (object);
  JsonNode *node = json_from_string (text, NULL);
  JsonObject *copy = json_object_ref (json_node_get_object (node));

  json_node_unref (node);
  g_free (text);
  return copy;
}

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

/* ---- the child process -------------------------------------------------------------------- */

static void backend_stop (Backend *b, const gchar *why);
static void backend_broken (Backend *b);
static void drain_stderr (Backend *b);
static gchar *stderr_last_line (Backend *b);
static void job_finish (Backend *b, Job *job, JobState state, gchar *payload);

/* Finds maskgit-rpc: $MASKGIT_RPC, else PATH, else the path install.sh wrote next to the plug-in. */
static gchar *
find_server (gchar ***extra_args)
{
  const gchar *env = g_getenv ("MASKGIT_RPC");
  const gchar *args = g_getenv ("MASKGIT_RPC_ARGS");
  gchar *path = NULL, *conf_args = NULL;

  if (maskgit_self_path)
    {
      gchar *dir = g_path_get_dirname (maskgit_self_path);
      gchar *conf = g_build_filename (dir, "maskgit-gimp.conf", NULL);
      GKeyFile *kf = g_key_file_new ();

      if (g_key_file_load_from_file (kf, conf, G_KEY_FILE_NONE, NULL))
        {
          path = g_key_file_get_string (kf, "backend", "path", NULL);
          conf_args = g_key_file_get_string (kf, "backend", "args", NULL);
        }
      g_key_file_free (kf); g_free (conf); g_free (dir);
    }
  if (env && *env)
    {
      g_free (path);
      path = g_strdup (env);
    }
  else
    {
      gchar *on_path = g_find_program_in_path ("maskgit-rpc");
      if (on_path)
        {
          g_free (path);
          path = on_path;
        }
    }
  if (!args || !*args)
    args = conf_args;
  *extra_args = NULL;
  if (args && *args && !g_shell_parse_argv (args, NULL, extra_args, NULL))
    *extra_args = NULL;
  g_free (conf_args);
  return path;
}

static void
child_setup (gpointer data)
{
#ifdef __linux__
  /* The backend dies with its owner, even when GIMP kills the plug-in outright. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
#endif
}

static gboolean
write_line (Backend *b, const gchar *line)
{
  gchar *text = g_strconcat (line, "\n", NULL);
  gsize len = strlen (text), done = 0;

  while (done < len)
    {
      gssize w = write (b->in_fd, text + done, len - done);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        break;
      done += w;
    }
  g_free (text);
  return done == len;
}

/* Sends a request; returns its id (0 when the pipe is broken). */
static gint64
send_request (Backend *b, const gchar *method, JsonObject *params, const gchar *progress_token)
{
  JsonObject *msg = json_object_new ();
  gint64 id = ++b->next_rpc_id;
  gchar *text;
  gboolean ok;

  if (progress_token)
    {
      JsonObject *meta = json_object_new ();
      json_object_set_string_member (meta, "progressToken", progress_token);
      json_object_set_object_member (params, "_meta", meta);
    }
  json_object_set_string_member (msg, "jsonrpc", "2.0");
  json_object_set_int_member (msg, "id", id);
  json_object_set_string_member (msg, "method", method);
  json_object_set_object_member (msg, "params", json_object_ref (params));
  text = object_text (msg);
  ok = write_line (b, text);
  g_free (text);
  json_object_unref (msg);
  return ok ? id : 0;
}

static void
send_notification (Backend *b, const gchar *method, JsonObject *params)
{
  JsonObject *msg = json_object_new ();
  gchar *text;

  json_object_set_string_member (msg, "jsonrpc", "2.0");
  json_object_set_string_member (msg, "method", method);
  json_object_set_object_member (msg, "params", params);
  text = object_text (msg);
  write_line (b, text);
  g_free (text);
  json_object_unref (msg);
}

static void handle_line (Backend *b, const gchar *line);

static gboolean
on_stdout (GIOChannel *ch, GIOCondition cond, gpointer data)
{
  Backend *b = data;
  gchar buf[65536];
  gssize n = read (b->out_fd, buf, sizeof buf);

  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return TRUE;
  if (n <= 0)
    {
      b->out_watch = 0;
      return FALSE;   /* the child watch reports the exit */
    }
  g_string_append_len (b->out_buf, buf, n);
  for (;;)
    {
      gchar *nl = memchr (b->out_buf->str, '\n', b->out_buf->len);
      gchar *line;

      if (!nl)
        break;
      line = g_strndup (b->out_buf->str, nl - b->out_buf->str);
      g_string_erase (b->out_buf, 0, nl - b->out_buf->str + 1);
      g_strstrip (line);
      if (*line)
        handle_line (b, line);
      g_free (line);
    }
  return TRUE;
}

static gboolean
on_stderr (GIOChannel *ch, GIOCondition cond, gpointer data)
{
  Backend *b = data;
  gchar buf[8192];
  gssize n = read (b->err_fd, buf, sizeof buf);

  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return TRUE;
  if (n <= 0)
    {
      b->err_watch = 0;
      return FALSE;
    }
  g_string_append_len (b->err_tail, buf, n);
  if (b->err_tail->len > 4096)
    g_string_erase (b->err_tail, 0, b->err_tail->len - 4096);
  return TRUE;
}

/* Reads what is left on stderr without touching the watch (the fd is non-blocking). */
static void
drain_stderr (Backend *b)
{
  gchar buf[8192];
  gssize n;

  while (b->err_fd >= 0 && (n = read (b->err_fd, buf, sizeof buf)) > 0)
    {
      g_string_append_len (b->err_tail, buf, n);
      if (b->err_tail->len > 4096)
        g_string_erase (b->err_tail, 0, b->err_tail->len - 4096);
    }
}

/* The last non-empty line the server wrote to stderr (its reason for failing, usually). */
static gchar *
stderr_last_line (Backend *b)
{
  gchar **lines = g_strsplit (b->err_tail->str, "\n", -1);
  gchar *last = NULL;

  for (gint i = 0; lines[i]; i++)
    if (*g_strstrip (lines[i]))
      {
        g_free (last);
        last = g_strdup (lines[i]);
      }
  g_strfreev (lines);
  return last;
}

static void
on_child_exit (GPid pid, gint status, gpointer data)
{
  Backend *b = data;
  gchar *why, *last;

  b->child_watch = 0;
  if (pid != b->pid)
    {
      g_spawn_close_pid (pid);
      return;
    }
  /* Drain what is left on stderr so the message names the server's reason. */
  drain_stderr (b);
  last = stderr_last_line (b);
  why = g_strdup_printf ("maskgit-rpc (pid %d) exited with status %d%s%s", (int) pid,
                         WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status),
                         last ? ": " : "", last ? last : "");
  maskgit_log ("%s", why);
  b->pid = 0;   /* the child is gone; backend_stop must not signal a reused pid */
  g_spawn_close_pid (pid);
  backend_stop (b, why);
  g_free (why); g_free (last);
}

static gboolean
backend_start (Backend *b, gchar **error)
{
  gchar **extra = NULL;
  gchar *server = find_server (&extra);
  GPtrArray *argv = g_ptr_array_new ();
  GError *err = NULL;
  gboolean ok;
  JsonObject *init;

  if (!server || !g_file_test (server, G_FILE_TEST_IS_EXECUTABLE))
    {
      *error = g_strdup_printf ("The MaskGIT backend maskgit-rpc was not found%s%s. Set MASKGIT_RPC "
                                "to its path, put it on PATH, or run Clients/gimp/install.sh from "
                                "the maskgit-rpc repository after building it.",
                                server ? " at " : "", server ? server : "");
      g_free (server); g_strfreev (extra); g_ptr_array_free (argv, TRUE);
      return FALSE;
    }
  g_ptr_array_add (argv, server);
  for (gint i = 0; extra && extra[i]; i++)
    g_ptr_array_add (argv, extra[i]);
  g_ptr_array_add (argv, (gpointer) "--allow-root");
  g_ptr_array_add (argv, (gpointer) maskgit_work_dir ());
  g_ptr_array_add (argv, NULL);

  ok = g_spawn_async_with_pipes (maskgit_work_dir (), (gchar **) argv->pdata, NULL,
                                 G_SPAWN_DO_NOT_REAP_CHILD, child_setup, NULL, &b->pid,
                                 &b->in_fd, &b->out_fd, &b->err_fd, &err);
  if (!ok)
    {
      *error = g_strdup_printf ("Cannot start the MaskGIT backend %s: %s", server, err->message);
      g_error_free (err);
    }
  else
    {
      GIOChannel *ch;

      b->starts++;
      maskgit_log ("backend started pid=%d server=%s", (int) b->pid, server);
      fcntl (b->out_fd, F_SETFL, fcntl (b->out_fd, F_GETFL) | O_NONBLOCK);
      fcntl (b->err_fd, F_SETFL, fcntl (b->err_fd, F_GETFL) | O_NONBLOCK);
      g_string_truncate (b->out_buf, 0);
      g_string_truncate (b->err_tail, 0);
      ch = g_io_channel_unix_new (b->out_fd);
      b->out_watch = g_io_add_watch (ch, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdout, b);
      g_io_channel_unref (ch);
      ch = g_io_channel_unix_new (b->err_fd);
      b->err_watch = g_io_add_watch (ch, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stderr, b);
      g_io_channel_unref (ch);
      b->child_watch = g_child_watch_add (b->pid, on_child_exit, b);

      init = json_object_new ();
      json_object_set_string_member (init, "protocolVersion", "2025-11-01");
      {
        JsonObject *info = json_object_new ();
        json_object_set_string_member (info, "name", "maskgit-gimp");
        json_object_set_string_member (info, "version", "1");
        json_object_set_object_member (init, "clientInfo", info);
      }
      send_request (b, "initialize", init, NULL);   /* a broken pipe shows at the first job */
      json_object_unref (init);
    }
  g_free (server);
  g_strfreev (extra);
  g_ptr_array_free (argv, TRUE);
  return ok;
}

/* Ends the child (if any) and fails every running job with `why`; the next submit restarts it. */
static void
backend_stop (Backend *b, const gchar *why)
{
  GHashTableIter it;
  gpointer key, value;

  if (b->out_watch) g_source_remove (b->out_watch);
  if (b->err_watch) g_source_remove (b->err_watch);
  if (b->child_watch) g_source_remove (b->child_watch);
  b->out_watch = b->err_watch = b->child_watch = 0;
  if (b->in_fd >= 0) close (b->in_fd);
  if (b->out_fd >= 0) close (b->out_fd);
  if (b->err_fd >= 0) close (b->err_fd);
  b->in_fd = b->out_fd = b->err_fd = -1;
  if (b->pid > 0)
    {
      /* stdin is closed: the server finishes and exits; make sure of it. */
      gint status;
      for (gint i = 0; i < 20 && waitpid (b->pid, &status, WNOHANG) == 0; i++)
        g_usleep (50000);
      if (waitpid (b->pid, &status, WNOHANG) == 0)
        {
          kill (b->pid, SIGKILL);
          waitpid (b->pid, &status, 0);
        }
      g_spawn_close_pid (b->pid);
    }
  b->pid = 0;
  g_hash_table_remove_all (b->cache);   /* sessions died with the process */
  g_hash_table_iter_init (&it, b->jobs);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      Job *job = value;
      if (job->state == JOB_RUNNING)
        job_finish (b, job, JOB_FAILED, g_strdup (why));
    }
}

/* The pipe broke (the child is exiting): wait for it briefly so the message can carry its last
 * words, then stop it; every running job fails and the next submit starts a new backend. */
static void
backend_broken (Backend *b)
{
  gint status = 0;
  gchar *last, *why;
  gboolean exited = FALSE;

  for (gint i = 0; i < 40 && b->pid > 0 && !exited; i++)
    {
      exited = waitpid (b->pid, &status, WNOHANG) == b->pid;
      if (!exited)
        g_usleep (25000);
    }
  drain_stderr (b);
  last = stderr_last_line (b);
  if (exited)
    {
      why = g_strdup_printf ("maskgit-rpc (pid %d) exited with status %d%s%s", (int) b->pid,
                             WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status),
                             last ? ": " : "", last ? last : "");
      g_spawn_close_pid (b->pid);
      b->pid = 0;
    }
  else
    why = g_strdup_printf ("Cannot write to the MaskGIT backend%s%s", last ? ": " : "", last ? last : "");
  maskgit_log ("%s", why);
  backend_stop (b, why);
  g_free (why);
  g_free (last);
}

/* ---- jobs --------------------------------------------------------------------------------- */

static void
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

static void
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
      if (now - job->last_activity > b->answer_timeout_s * G_USEC_PER_SEC)
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
