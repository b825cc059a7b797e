/* extension.c: the resident procedure. GIMP starts it on the first MaskGIT call (a menu procedure
 * runs EXTENSION_PROC when the temporary procedures are missing) and keeps it until GIMP quits. It
 * owns one Backend (one maskgit-rpc child, its sessions) and serves four temporary procedures;
 * temporary procedures exist only while this process runs, which is how callers detect it. */
#include "maskgit-gimp.h"

#include <glib/gstdio.h>
#include <string.h>

static Backend *backend = NULL;

static void
return_error (gint *nreturn_vals, GimpParam **return_vals, const gchar *text)
{
  static GimpParam values[2];

  values[0].type = GIMP_PDB_STATUS;
  values[0].data.d_status = GIMP_PDB_CALLING_ERROR;
  values[1].type = GIMP_PDB_STRING;
  values[1].data.d_string = (gchar *) text;
  *nreturn_vals = 2;
  *return_vals = values;
}

static void
run_temp (const gchar *name, gint nparams, const GimpParam *param,
          gint *nreturn_vals, GimpParam **return_vals)
{
  static GimpParam values[12];
  static gchar *message = NULL, *payload = NULL;

  values[0].type = GIMP_PDB_STATUS;
  values[0].data.d_status = GIMP_PDB_SUCCESS;
  *return_vals = values;
  *nreturn_vals = 1;

  if (strcmp (name, TEMP_SUBMIT) == 0 && nparams == 5)
    {
      values[1].type = GIMP_PDB_INT32;
      values[1].data.d_int32 = backend_submit (backend, param[0].data.d_string, param[1].data.d_string,
                                               param[2].data.d_string, param[3].data.d_string,
                                               param[4].data.d_string);
      *nreturn_vals = 2;
    }
  else if (strcmp (name, TEMP_POLL) == 0 && nparams == 1)
    {
      gdouble fraction;
      JobState state;

      g_clear_pointer (&message, g_free);
      g_clear_pointer (&payload, g_free);
      state = backend_poll (backend, param[0].data.d_int32, &fraction, &message, &payload);
      values[1].type = GIMP_PDB_INT32;
      values[1].data.d_int32 = state;
      values[2].type = GIMP_PDB_FLOAT;
      values[2].data.d_float = fraction;
      values[3].type = GIMP_PDB_STRING;
      values[3].data.d_string = message;
      values[4].type = GIMP_PDB_STRING;
      values[4].data.d_string = payload;
      *nreturn_vals = 5;
    }
  else if (strcmp (name, TEMP_CANCEL) == 0 && nparams == 1)
    {
      backend_cancel (backend, param[0].data.d_int32);
    }
  else if (strcmp (name, TEMP_STATUS) == 0)
    {
      BackendStatus s;

      backend_get_status (backend, &s);
      values[1].type = GIMP_PDB_INT32; values[1].data.d_int32 = s.pid;
      values[2].type = GIMP_PDB_INT32; values[2].data.d_int32 = s.starts;
      values[3].type = GIMP_PDB_INT32; values[3].data.d_int32 = s.sessions_opened;
      values[4].type = GIMP_PDB_INT32; values[4].data.d_int32 = s.sessions_reused;
      values[5].type = GIMP_PDB_INT32; values[5].data.d_int32 = s.edits;
      values[6].type = GIMP_PDB_INT32; values[6].data.d_int32 = s.cached;
      values[7].type = GIMP_PDB_INT32; values[7].data.d_int32 = s.running;
      values[8].type = GIMP_PDB_INT32; values[8].data.d_int32 = s.sessions_forked;
      values[9].type = GIMP_PDB_INT32; values[9].data.d_int32 = s.forks;
      values[10].type = GIMP_PDB_INT32; values[10].data.d_int32 = s.tokens_adopted;
      values[11].type = GIMP_PDB_INT32; values[11].data.d_int32 = s.tokens_known;
      *nreturn_vals = 12;
    }
  else
    return_error (nreturn_vals, return_vals, "maskgit-gimp: unknown temporary procedure or wrong arguments");
}

/* Removes request/result PNGs a killed plug-in left in the work folder (older than a day, so a
 * second GIMP of the same user keeps its files in flight). */
static void
remove_stale_work_files (void)
{
  GDir *dir = g_dir_open (maskgit_work_dir (), 0, NULL);
  const gchar *name;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  while (dir && (name = g_dir_read_name (dir)))
    {
      gchar *path = g_build_filename (maskgit_work_dir (), name, NULL);
      GStatBuf st;

      if (g_str_has_suffix (name, ".png") && g_stat (path, &st) == 0 && now - st.st_mtime > 24 * 3600)
        g_unlink (path);
      g_free (path);
    }
  if (dir)
    g_dir_close (dir);
}

void
extension_run (void)
{
  static const GimpParamDef submit_args[] = {
    { GIMP_PDB_STRING, "method", "JSON-RPC method (inpaint, outpaint, classEdit, generate, models.list)" },
    { GIMP_PDB_STRING, "params", "Request params as a JSON object, without image/session" },
    { GIMP_PDB_STRING, "cache-key", "\"image:drawable\" of the source layer, or \"\"" },
    { GIMP_PDB_STRING, "checksum", "Checksum of the source layer's pixels, or \"\"" },
    { GIMP_PDB_STRING, "image-path", "The source layer as a PNG in the work folder, or \"\"" },
  };
  static const GimpParamDef submit_ret[] = { { GIMP_PDB_INT32, "job", "Job id" } };
  static const GimpParamDef job_arg[] = { { GIMP_PDB_INT32, "job", "Job id" } };
  static const GimpParamDef poll_ret[] = {
    { GIMP_PDB_INT32, "state", "0 running, 1 done, 2 failed, 3 cancelled" },
    { GIMP_PDB_FLOAT, "fraction", "Progress 0..1" },
    { GIMP_PDB_STRING, "message", "Progress message" },
    { GIMP_PDB_STRING, "payload", "Result JSON (done) or error message" },
  };
  static const GimpParamDef status_ret[] = {
    { GIMP_PDB_INT32, "backend-pid", "maskgit-rpc process id (0: none running)" },
    { GIMP_PDB_INT32, "backend-starts", "maskgit-rpc processes started in this GIMP run" },
    { GIMP_PDB_INT32, "sessions-opened", "Sessions opened (layers encoded)" },
    { GIMP_PDB_INT32, "sessions-reused", "Edits that reused a cached session" },
    { GIMP_PDB_INT32, "edits", "Edit requests answered" },
    { GIMP_PDB_INT32, "cached-layers", "Layers with a live session" },
    { GIMP_PDB_INT32, "running", "Jobs not finished yet" },
    { GIMP_PDB_INT32, "sessions-forked", "Results kept as sessions of their own (session.fork)" },
    { GIMP_PDB_INT32, "forks-open", "Of those, still open" },
    { GIMP_PDB_INT32, "tokens-adopted", "Sessions opened on the token grid of an open revision (a result layer)" },
    { GIMP_PDB_INT32, "tokens-known", "Known tokens those sessions adopted, in all" },
  };

  backend = backend_new (3.0);   /* GIMP's progress Cancel kills the caller: its job stops within ~3 s */
  maskgit_log ("extension started");
  remove_stale_work_files ();
  gimp_install_temp_proc (TEMP_SUBMIT, "Queue a MaskGIT job", "Internal to maskgit-gimp.", "maskgit-rpc",
                          "maskgit-rpc", "2026", NULL, "", GIMP_TEMPORARY,
                          G_N_ELEMENTS (submit_args), G_N_ELEMENTS (submit_ret), submit_args, submit_ret, run_temp);
  gimp_install_temp_proc (TEMP_POLL, "Poll a MaskGIT job", "Internal to maskgit-gimp.", "maskgit-rpc",
                          "maskgit-rpc", "2026", NULL, "", GIMP_TEMPORARY,
                          1, G_N_ELEMENTS (poll_ret), job_arg, poll_ret, run_temp);
  gimp_install_temp_proc (TEMP_CANCEL, "Cancel a MaskGIT job", "Internal to maskgit-gimp.", "maskgit-rpc",
                          "maskgit-rpc", "2026", NULL, "", GIMP_TEMPORARY,
                          1, 0, job_arg, NULL, run_temp);
  gimp_install_temp_proc (TEMP_STATUS, "MaskGIT backend status", "Internal to maskgit-gimp.", "maskgit-rpc",
                          "maskgit-rpc", "2026", NULL, "", GIMP_TEMPORARY,
                          0, G_N_ELEMENTS (status_ret), NULL, status_ret, run_temp);
  gimp_extension_ack ();
  gimp_extension_enable ();   /* temporary procedure calls now arrive through the main loop */
  g_main_loop_run (g_main_loop_new (NULL, FALSE));
}

/* GIMP's quit message ends the process through gimp_quit(), which calls this first. */
void
extension_quit (void)
{
  if (backend)
    {
      backend_free (backend);
      backend = NULL;
    }
}
