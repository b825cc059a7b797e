/* backend-process.c: the maskgit-rpc child process, driven from the GLib main loop.
 *
 * Requests go out as one JSON-RPC 2.0 line each; answers and notifications come back on the
 * child's stdout and are read by an IO watch (handed to handle_line in backend.c), so nothing
 * here blocks. A child watch reports the exit; stderr's tail names the reason. Also: the log
 * file, the work folder and small JSON helpers.
 */
#include "backend-private.h"

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

gchar *
json_text (JsonNode *node)
{
  JsonGenerator *gen = json_generator_new ();
  gchar *text;

  json_generator_set_root (gen, node);
  text = json_generator_to_data (gen, NULL);
  g_object_unref (gen);
  return text;
}

gchar *
object_text (JsonObject *object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  gchar *text;

  json_node_set_object (node, object);
  text = json_text (node);
  json_node_unref (node);
  return text;
}

JsonObject *
object_copy (JsonObject *object)
{
  gchar *text = object_text (object);
  JsonNode *node = json_from_string (text, NULL);
  JsonObject *copy = json_object_ref (json_node_get_object (node));

  json_node_unref (node);
  g_free (text);
  return copy;
}

/* ---- the child process -------------------------------------------------------------------- */


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
gint64
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

void
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
  b->last_output = g_get_monotonic_time ();
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

gboolean
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
      b->last_output = g_get_monotonic_time ();
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
      b->server_max_sessions = 0;
      b->no_reuse = FALSE;
      b->init_rpc_id = send_request (b, "initialize", init, NULL);   /* a broken pipe shows at the first job */
      json_object_unref (init);
    }
  g_free (server);
  g_strfreev (extra);
  g_ptr_array_free (argv, TRUE);
  return ok;
}

/* Ends the child (if any) and fails every running job with `why`; the next submit restarts it. */
void
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
  while (!g_queue_is_empty (b->forks))
    g_free (g_queue_pop_head (b->forks));
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
void
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
