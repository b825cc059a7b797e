/* client.c: the menu procedures' side. Pixels go out as PNGs in the private work folder (layer
 * coordinates; the selection is cropped to the layer), jobs go to the resident extension through
 * its temporary procedures, and this process polls them, drives GIMP's progress bar and, when
 * interactive, a dialog whose Cancel button cancels the job on the server. */
#include "maskgit-gimp.h"

#include <string.h>

#include <gegl.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <unistd.h>

/* dialog.c */
typedef struct ProgressDialog ProgressDialog;
ProgressDialog *progress_dialog_new       (const gchar *title);
gboolean        progress_dialog_update    (ProgressDialog *d, gdouble fraction, const gchar *text);
void            progress_dialog_destroy   (ProgressDialog *d);

gchar *
work_file (const gchar *stem)
{
  static gint counter = 0;
  gchar *name = g_strdup_printf ("%s-%d-%d-%u.png", stem, (int) getpid (), ++counter, g_random_int ());
  gchar *path = g_build_filename (maskgit_work_dir (), name, NULL);

  g_free (name);
  return path;
}

static gboolean
save_png (guchar *pixels, gint width, gint height, gboolean alpha, const gchar *path, GError **error)
{
  GdkPixbuf *pb = gdk_pixbuf_new_from_data (pixels, GDK_COLORSPACE_RGB, alpha, 8, width, height,
                                            width * (alpha ? 4 : 3), NULL, NULL);
  gboolean ok = gdk_pixbuf_save (pb, path, "png", error, "compression", "1", NULL);

  g_object_unref (pb);
  return ok;
}

gchar *
export_drawable_png (gint32 drawable, const gchar *path, GError **error)
{
  gint width = gimp_drawable_width (drawable), height = gimp_drawable_height (drawable);
  gboolean alpha = gimp_drawable_has_alpha (drawable);
  gint bpp = alpha ? 4 : 3;
  GeglBuffer *buffer = gimp_drawable_get_buffer (drawable);
  guchar *pixels = g_malloc ((gsize) width * height * bpp);
  gchar *checksum = NULL;

  /* Grayscale and high-precision layers convert here (babl); indexed images are refused earlier. */
  gegl_buffer_get (buffer, GEGL_RECTANGLE (0, 0, width, height), 1.0,
                   babl_format (alpha ? "R'G'B'A u8" : "R'G'B' u8"), pixels,
                   GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
  g_object_unref (buffer);
  if (save_png (pixels, width, height, alpha, path, error))
    {
      gchar *sum = g_compute_checksum_for_data (G_CHECKSUM_SHA1, pixels, (gsize) width * height * bpp);
      checksum = g_strdup_printf ("%dx%dx%d-%s", width, height, bpp, sum);
      g_free (sum);
    }
  g_free (pixels);
  return checksum;
}

gboolean
export_selection_png (gint32 image, gint32 drawable, const gchar *path, GError **error)
{
  gint width = gimp_drawable_width (drawable), height = gimp_drawable_height (drawable);
  gint ox, oy;
  gint32 selection = gimp_image_get_selection (image);
  GeglBuffer *buffer = gimp_drawable_get_buffer (selection);
  guchar *gray = g_malloc ((gsize) width * height);
  guchar *rgb = g_malloc ((gsize) width * height * 3);
  gboolean ok;

  /* The selection lives in canvas coordinates; the layer's pixel (x, y) sits at (x+ox, y+oy).
   * Outside the canvas the selection is empty (the buffer's abyss is 0). */
  gimp_drawable_offsets (drawable, &ox, &oy);
  gegl_buffer_get (buffer, GEGL_RECTANGLE (ox, oy, width, height), 1.0, babl_format ("Y u8"), gray,
                   GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
  g_object_unref (buffer);
  for (gsize i = 0; i < (gsize) width * height; i++)
    rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = gray[i];
  ok = save_png (rgb, width, height, FALSE, path, error);
  g_free (gray);
  g_free (rgb);
  return ok;
}

/* ---- jobs --------------------------------------------------------------------------------- */

/* TRUE when the resident extension (started by GIMP at start-up) serves our temporary
 * procedures. Without it (it crashed, or MASKGIT_GIMP_RESIDENT=0) a call runs its own backend. */
static gboolean
ensure_extension (void)
{
  if (g_strcmp0 (g_getenv ("MASKGIT_GIMP_RESIDENT"), "0") == 0)
    return FALSE;
  if (gimp_procedural_db_proc_exists (TEMP_POLL))
    return TRUE;
  maskgit_log ("the resident extension is not running; using a backend of this call's own");
  return FALSE;
}

void
job_outcome_clear (JobOutcome *out)
{
  g_clear_pointer (&out->result_json, g_free);
  g_clear_pointer (&out->error, g_free);
  out->cancelled = FALSE;
}

JobState
client_run_job (const gchar *method, JsonObject *params, const gchar *cache_key, const gchar *checksum,
                const gchar *image_path, const gchar *title, gboolean interactive, JobOutcome *out)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  gchar *params_json;
  gboolean resident = ensure_extension ();
  Backend *local = NULL;
  ProgressDialog *dialog = NULL;
  gchar *last_text = NULL;
  gboolean cancel_sent = FALSE;
  JobState state = JOB_RUNNING;
  gint job = 0;

  memset (out, 0, sizeof *out);
  json_node_set_object (node, params);
  params_json = json_to_string (node, FALSE);
  json_node_unref (node);
  if (!cache_key) cache_key = "";
  if (!checksum) checksum = "";
  if (!image_path) image_path = "";

  if (resident)
    {
      gint n;
      GimpParam *r = gimp_run_procedure (TEMP_SUBMIT, &n, GIMP_PDB_STRING, method, GIMP_PDB_STRING, params_json,
                                         GIMP_PDB_STRING, cache_key, GIMP_PDB_STRING, checksum,
                                         GIMP_PDB_STRING, image_path, GIMP_PDB_END);
      if (n >= 2 && r[0].data.d_status == GIMP_PDB_SUCCESS)
        job = r[1].data.d_int32;
      gimp_destroy_params (r, n);
      if (!job)
        resident = FALSE;
    }
  if (!resident)
    {
      local = backend_new (0);
      backend_set_max_forks (local, 0);   /* it ends with this call: a fork would outlive nothing */
      job = backend_submit (local, method, params_json, cache_key, checksum, image_path);
    }
  g_free (params_json);
  maskgit_log ("job %d (%s) submitted to the %s backend", job, method, resident ? "resident" : "own");

  if (title)
    gimp_progress_init (title);
  if (interactive && title)
    dialog = progress_dialog_new (title);

  for (;;)
    {
      gdouble fraction = 0;
      gchar *message = NULL, *payload = NULL;

      if (resident)
        {
          gint n;
          GimpParam *r = gimp_run_procedure (TEMP_POLL, &n, GIMP_PDB_INT32, job, GIMP_PDB_END);
          if (n >= 5 && r[0].data.d_status == GIMP_PDB_SUCCESS)
            {
              state = r[1].data.d_int32;
              fraction = r[2].data.d_float;
              message = g_strdup (r[3].data.d_string);
              payload = g_strdup (r[4].data.d_string);
            }
          else
            {
              state = JOB_FAILED;
              payload = g_strdup ("The MaskGIT backend extension stopped answering (GIMP ended it?)");
            }
          gimp_destroy_params (r, n);
        }
      else
        {
          while (g_main_context_iteration (NULL, FALSE))
            ;
          state = backend_poll (local, job, &fraction, &message, &payload);
        }

      if (state != JOB_RUNNING)
        {
          if (state == JOB_DONE) out->result_json = payload;
          else if (state == JOB_FAILED) out->error = payload;
          else { out->cancelled = TRUE; g_free (payload); }
          g_free (message);
          break;
        }
      if (title)
        {
          gimp_progress_update (CLAMP (fraction, 0.0, 1.0));
          if (message && *message && g_strcmp0 (message, last_text) != 0)
            {
              gchar *text = g_strdup_printf ("%s: %s", title, message);
              gimp_progress_set_text (text);
              g_free (text);
              g_free (last_text);
              last_text = g_strdup (message);
            }
        }
      if (dialog && !progress_dialog_update (dialog, fraction, message) && !cancel_sent)
        {
          cancel_sent = TRUE;
          if (resident)
            {
              gint n;
              GimpParam *r = gimp_run_procedure (TEMP_CANCEL, &n, GIMP_PDB_INT32, job, GIMP_PDB_END);
              gimp_destroy_params (r, n);
            }
          else
            backend_cancel (local, job);
        }
      g_free (message);
      g_free (payload);
      g_usleep (resident ? 40000 : 10000);
    }

  if (dialog)
    progress_dialog_destroy (dialog);
  if (title)
    gimp_progress_end ();
  g_free (last_text);
  if (local)
    backend_free (local);
  return state;
}

gboolean
client_status (BackendStatus *s)
{
  GimpParam *r;
  gint n;
  gboolean ok = FALSE;

  memset (s, 0, sizeof *s);
  if (!gimp_procedural_db_proc_exists (TEMP_STATUS))
    return FALSE;
  r = gimp_run_procedure (TEMP_STATUS, &n, GIMP_PDB_END);
  if (n >= 8 && r[0].data.d_status == GIMP_PDB_SUCCESS)
    {
      s->pid = r[1].data.d_int32;
      s->starts = r[2].data.d_int32;
      s->sessions_opened = r[3].data.d_int32;
      s->sessions_reused = r[4].data.d_int32;
      s->edits = r[5].data.d_int32;
      s->cached = r[6].data.d_int32;
      s->running = r[7].data.d_int32;
      if (n >= 12)
        {
          s->sessions_forked = r[8].data.d_int32;
          s->forks = r[9].data.d_int32;
          s->tokens_adopted = r[10].data.d_int32;
          s->tokens_known = r[11].data.d_int32;
        }
      ok = TRUE;
    }
  gimp_destroy_params (r, n);
  return ok;
}

JsonObject *
client_model_info (gchar **error)
{
  JsonObject *params = json_object_new ();
  JsonObject *model = NULL;
  JobOutcome out;

  *error = NULL;
  json_object_set_boolean_member (params, "classes", TRUE);
  if (client_run_job ("models.list", params, NULL, NULL, NULL, NULL, FALSE, &out) == JOB_DONE)
    {
      JsonNode *node = json_from_string (out.result_json, NULL);
      JsonObject *r = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      JsonArray *models = r && json_object_has_member (r, "models") ? json_object_get_array_member (r, "models") : NULL;

      for (guint i = 0; models && i < json_array_get_length (models); i++)
        {
          JsonObject *m = json_array_get_object_element (models, i);
          if (!model || json_object_get_boolean_member_with_default (m, "default", FALSE))
            model = m;
        }
      if (model)
        json_object_ref (model);
      else
        *error = g_strdup ("maskgit-rpc lists no model");
      if (node)
        json_node_unref (node);
    }
  else
    *error = g_strdup (out.error ? out.error : "Cancelled");
  job_outcome_clear (&out);
  json_object_unref (params);
  return model;
}
