/* maskgit-gimp.c: registration and the menu procedures (Filters > MaskGIT).
 *
 *   plug-in-maskgit-inpaint     Inpaint selection        the selection regenerated in a new layer
 *   plug-in-maskgit-outpaint    Outpaint                 canvas grown by margins, filled, new layer
 *   plug-in-maskgit-class-edit  Change class in selection
 *   plug-in-maskgit-generate    Generate                 a new layer (or image) of a class
 *   plug-in-maskgit-status      (no menu)                the resident backend's pid and counters
 *
 * Each edit is one undo step; the source layer is never touched; the new layer goes on top of
 * the source's stack (layer group or image), so the newest result is the visible one; it carries the
 * parasite "maskgit-params" (persistent): the request's JSON with the seed used. */
#include "maskgit-gimp.h"

#include <gegl.h>
#include <glib/gstdio.h>
#include <string.h>

void extension_quit (void);

#define MENU_PATH "<Image>/Filters/MaskGIT"

static const struct { const gchar *name; Operation op; const gchar *method, *verb; } operations[] = {
  { "plug-in-maskgit-inpaint",    OP_INPAINT,    "inpaint",   "inpaint" },
  { "plug-in-maskgit-outpaint",   OP_OUTPAINT,   "outpaint",  "outpaint" },
  { "plug-in-maskgit-class-edit", OP_CLASS_EDIT, "classEdit", "class edit" },
  { "plug-in-maskgit-generate",   OP_GENERATE,   "generate",  "generate" },
};

static void
query (void)
{
  static const GimpParamDef common[] = {
    { GIMP_PDB_INT32,    "run-mode", "The run mode { RUN-INTERACTIVE (0), RUN-NONINTERACTIVE (1) }" },
    { GIMP_PDB_IMAGE,    "image",    "Input image" },
    { GIMP_PDB_DRAWABLE, "drawable", "Source layer" },
    { GIMP_PDB_INT32,    "seed",     "Random seed (-1: random; the seed used is returned and stored on the new layer)" },
    { GIMP_PDB_INT32,    "steps",    "Decoding steps (0: the server's default)" },
    { GIMP_PDB_STRING,   "sampler",  "A sampler of models.list capabilities.samplers, or \"\" (default)" },
    { GIMP_PDB_STRING,   "class",    "Class: a label number or a name from models.list (\"\": none, if the model allows)" },
  };
  static const GimpParamDef masked[] = {
    { GIMP_PDB_STRING,   "mask-policy", "A mask policy of models.list capabilities.maskPolicies, or \"\" (default)" },
    { GIMP_PDB_FLOAT,    "feather",     "Feather radius in pixels (-1: the server's default)" },
  };
  static const GimpParamDef margins[] = {
    { GIMP_PDB_INT32, "left", "Pixels added on the left" },
    { GIMP_PDB_INT32, "top", "Pixels added on top" },
    { GIMP_PDB_INT32, "right", "Pixels added on the right" },
    { GIMP_PDB_INT32, "bottom", "Pixels added at the bottom" },
  };
  static const GimpParamDef results[] = {
    { GIMP_PDB_LAYER, "new-layer", "The layer holding the result" },
    { GIMP_PDB_INT32, "seed", "The seed used" },
  };
  static const GimpParamDef status_args[] = {
    { GIMP_PDB_INT32, "run-mode", "The run mode { RUN-INTERACTIVE (0), RUN-NONINTERACTIVE (1) }" },
  };
  static const GimpParamDef status_ret[] = {
    { GIMP_PDB_INT32, "backend-pid", "The resident maskgit-rpc process id (0: none)" },
    { GIMP_PDB_INT32, "backend-starts", "maskgit-rpc processes started in this GIMP run" },
    { GIMP_PDB_INT32, "sessions-opened", "Sessions opened (layers encoded)" },
    { GIMP_PDB_INT32, "sessions-reused", "Edits that reused a layer's session" },
    { GIMP_PDB_INT32, "edits", "Edits answered" },
    { GIMP_PDB_INT32, "running", "Jobs not finished yet" },
    { GIMP_PDB_INT32, "sessions-forked", "Edit results kept as sessions of their own (session.fork)" },
    { GIMP_PDB_INT32, "tokens-adopted", "Layers opened on the tokens of an open result or layer (no re-encoding)" },
    { GIMP_PDB_INT32, "tokens-known", "Known tokens those layers adopted, in all" },
  };
  static const gchar *labels[] = { "_Inpaint selection...", "_Outpaint...", "_Change class in selection...", "_Generate..." };
  static const gchar *blurbs[] = {
    "Regenerate the selected region of the layer with MaskGIT (result in a new layer)",
    "Grow the canvas by margins and fill them with MaskGIT (result in a new layer)",
    "Regenerate the selected region as a chosen class with MaskGIT (result in a new layer)",
    "Generate a picture of a chosen class with MaskGIT (a new layer, or a new image)",
  };

  for (guint i = 0; i < G_N_ELEMENTS (operations); i++)
    {
      GimpParamDef args[16];
      gint n = 0;

      for (guint k = 0; k < G_N_ELEMENTS (common); k++) args[n++] = common[k];
      if (operations[i].op == OP_INPAINT || operations[i].op == OP_CLASS_EDIT)
        for (guint k = 0; k < G_N_ELEMENTS (masked); k++) args[n++] = masked[k];
      if (operations[i].op == OP_OUTPAINT)
        for (guint k = 0; k < G_N_ELEMENTS (margins); k++) args[n++] = margins[k];
      gimp_install_procedure (operations[i].name, blurbs[i],
                              "Runs the maskgit-rpc backend (MASKGIT_RPC, PATH, or the path install.sh "
                              "configured; extra server flags in MASKGIT_RPC_ARGS). One backend serves "
                              "the whole GIMP run and keeps each layer's tokens between calls.",
                              "maskgit-rpc authors", "maskgit-rpc authors", "2026", labels[i],
                              operations[i].op == OP_GENERATE ? "" : "RGB*, GRAY*",
                              GIMP_PLUGIN, n, G_N_ELEMENTS (results), args, results);
      gimp_plugin_menu_register (operations[i].name, MENU_PATH);
    }
  gimp_install_procedure ("plug-in-maskgit-status", "Report the resident MaskGIT backend",
                          "Backend process id and session counters (for scripts and tests).",
                          "maskgit-rpc authors", "maskgit-rpc authors", "2026", NULL, "",
                          GIMP_PLUGIN, 1, G_N_ELEMENTS (status_ret), status_args, status_ret);
  /* An extension without arguments is started by GIMP itself at start-up (and only such an
   * extension: a plug-in calling an extension waits for a return that never comes). It starts
   * no backend until the first MaskGIT call. */
  gimp_install_procedure (EXTENSION_PROC, "Resident MaskGIT backend (internal)",
                          "Owns one maskgit-rpc process for the GIMP run, started on the first call.",
                          "maskgit-rpc authors", "maskgit-rpc authors", "2026", NULL, "",
                          GIMP_EXTENSION, 0, 0, NULL, NULL);
}

/* ---- one edit ----------------------------------------------------------------------------- */

static void
set_class (JsonObject *params, const gchar *name)
{
  gchar *end = NULL;
  gint64 label;

  if (!name || !*name)
    return;
  label = g_ascii_strtoll (name, &end, 10);
  if (end && *end == '\0')
    json_object_set_int_member (params, "class", label);
  else
    json_object_set_string_member (params, "class", name);
}

static JsonObject *
image_path_object (const gchar *path)
{
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "path", path);
  return o;
}

/* The request params without file paths, plus what identifies the result: for the parasite. */
static gchar *
parasite_text (const gchar *method, JsonObject *params, JsonObject *result)
{
  JsonObject *o = json_object_new ();
  JsonObject *p = json_object_new ();
  JsonNode *node;
  GList *members = json_object_get_members (params);
  gchar *text;

  for (GList *l = members; l; l = l->next)
    if (strcmp (l->data, "output") && strcmp (l->data, "mask") && strcmp (l->data, "_meta"))
      json_object_set_member (p, l->data, json_node_copy (json_object_get_member (params, l->data)));
  g_list_free (members);
  json_object_set_string_member (o, "method", method);
  json_object_set_object_member (o, "params", p);
  /* What the server did: model, feather radius and the windows with their token masks (where
   * pixels outside the selection may have been regenerated). */
  for (const gchar **k = (const gchar *[]) { "model", "featherRadius", "windows", NULL }; *k; k++)
    if (json_object_has_member (result, *k))
      {
        JsonNode *value = json_object_get_member (result, *k);
        /* Outpainting large margins takes hundreds of windows: keep the parasite small. */
        if (JSON_NODE_HOLDS_ARRAY (value) && json_array_get_length (json_node_get_array (value)) > 16)
          json_object_set_int_member (o, "windowCount", json_array_get_length (json_node_get_array (value)));
        else
          json_object_set_member (o, *k, json_node_copy (value));
      }
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, o);
  text = json_to_string (node, FALSE);
  json_node_unref (node);
  return text;
}

static GimpPDBStatusType
run_operation (Operation op, const gchar *method, const gchar *verb, gboolean interactive,
               gint32 image, gint32 drawable, EditValues *v, gint32 *new_layer, gint *seed_used,
               gchar **error)
{
  JsonObject *params = json_object_new ();
  gchar *source = NULL, *mask = NULL, *out = work_file ("result"), *checksum = NULL, *key = NULL;
  gchar *title = NULL;
  GError *gerr = NULL;
  GimpPDBStatusType status = GIMP_PDB_EXECUTION_ERROR;
  JobOutcome outcome = { 0 };
  JsonNode *rnode = NULL;
  JsonObject *result;
  gint seed = v->seed >= 0 ? v->seed : g_random_int_range (0, G_MAXINT32);
  gboolean has_image = op != OP_GENERATE || gimp_image_is_valid (image);
  gint ox = 0, oy = 0;

  if (has_image && gimp_image_base_type (image) == GIMP_INDEXED)
    {
      *error = g_strdup ("MaskGIT works on RGB and grayscale images: convert this one with Image > Mode > RGB");
      goto done;
    }
  if (op != OP_GENERATE)
    {
      gint x, y, w, h;

      if (!gimp_item_is_layer (drawable))
        {
          *error = g_strdup ("MaskGIT edits layers: select a layer (not a channel or a layer mask)");
          goto done;
        }
      gimp_drawable_offsets (drawable, &ox, &oy);
      if (op != OP_OUTPAINT)
        {
          if (gimp_selection_is_empty (image))
            {
              *error = g_strdup_printf ("The selection is empty: select the region to %s first", verb);
              goto done;
            }
          if (!gimp_drawable_mask_intersect (drawable, &x, &y, &w, &h))
            {
              *error = g_strdup ("The selection does not overlap the active layer");
              goto done;
            }
        }
      source = work_file ("source");
      if (!(checksum = export_drawable_png (drawable, source, &gerr)))
        goto io_error;
      key = g_strdup_printf ("%d:%d", image, drawable);
      if (op != OP_OUTPAINT)
        {
          JsonObject *m = json_object_new ();
          mask = work_file ("mask");
          if (!export_selection_png (image, drawable, mask, &gerr))
            {
              json_object_unref (m);
              goto io_error;
            }
          json_object_set_object_member (m, "image", image_path_object (mask));
          json_object_set_string_member (m, "channel", "luminance");
          json_object_set_int_member (m, "threshold", 128);
          json_object_set_object_member (params, "mask", m);
        }
    }
  json_object_set_int_member (params, "seed", seed);
  if (v->steps > 0)
    json_object_set_int_member (params, "steps", v->steps);
  if (*v->sampler)
    json_object_set_string_member (params, "sampler", v->sampler);
  set_class (params, v->class_name);
  if (op == OP_INPAINT || op == OP_CLASS_EDIT)
    {
      if (*v->mask_policy)
        json_object_set_string_member (params, "maskPolicy", v->mask_policy);
      if (v->feather >= 0)
        json_object_set_double_member (params, "feather", v->feather);
    }
  if (op == OP_OUTPAINT)
    {
      static const gchar *sides[] = { "left", "top", "right", "bottom" };
      gint total = 0;
      for (gint i = 0; i < 4; i++)
        {
          if (v->margins[i] < 0)
            {
              *error = g_strdup_printf ("The %s margin is negative (%d)", sides[i], v->margins[i]);
              goto done;
            }
          json_object_set_int_member (params, sides[i], v->margins[i]);
          total += v->margins[i];
        }
      if (total == 0)
        {
          *error = g_strdup ("Give at least one margin above 0 to outpaint");
          goto done;
        }
    }
  json_object_set_object_member (params, "output", image_path_object (out));

  title = g_strdup_printf ("MaskGIT %s", verb);
  switch (client_run_job (method, params, key, checksum, source, title, interactive, &outcome))
    {
    case JOB_DONE: break;
    case JOB_CANCELLED: status = GIMP_PDB_CANCEL; *error = g_strdup ("Cancelled"); goto done;
    default: *error = g_strdup (outcome.error ? outcome.error : "The MaskGIT backend failed"); goto done;
    }
  rnode = json_from_string (outcome.result_json, NULL);
  if (!rnode || !JSON_NODE_HOLDS_OBJECT (rnode))
    {
      *error = g_strdup ("maskgit-rpc answered something that is not a result object");
      goto done;
    }
  result = json_node_get_object (rnode);
  if (json_object_has_member (result, "seed"))
    seed = (gint) json_node_get_double (json_object_get_member (result, "seed"));

  {
    gchar *name, *ptext;
    GimpParasite *parasite;
    gint32 layer;
    gboolean new_image = !has_image;

    if (new_image)
      {
        image = gimp_file_load (GIMP_RUN_NONINTERACTIVE, out, out);
        if (image <= 0)
          {
            *error = g_strdup_printf ("GIMP could not load the result %s", out);
            goto done;
          }
        layer = gimp_image_get_active_layer (image);
        gimp_image_set_filename (image, "maskgit-generate.png");
      }
    else
      {
        gimp_image_undo_group_start (image);
        layer = gimp_file_load_layer (GIMP_RUN_NONINTERACTIVE, image, out);
        if (layer <= 0)
          {
            gimp_image_undo_group_end (image);
            *error = g_strdup_printf ("GIMP could not load the result %s", out);
            goto done;
          }
        if (op == OP_OUTPAINT)
          {
            /* Grow the canvas: every layer moves by (left, top); the result's corner lands
             * where the source's corner was before the move. */
            gimp_image_resize (image, gimp_image_width (image) + v->margins[0] + v->margins[2],
                               gimp_image_height (image) + v->margins[1] + v->margins[3],
                               v->margins[0], v->margins[1]);
          }
        /* The newest result goes on top of the source's stack (its layer group, or the image),
         * so it is what the composite shows: an earlier result of the same source never hides it. */
        if (op == OP_GENERATE)
          gimp_image_insert_layer (image, layer, 0, 0);
        else
          {
            gint32 parent = gimp_item_get_parent (drawable);
            gimp_image_insert_layer (image, layer, parent > 0 ? parent : 0, 0);
          }
        gimp_layer_set_offsets (layer, ox, oy);
      }
    if (op == OP_GENERATE || op == OP_CLASS_EDIT)
      name = g_strdup_printf ("MaskGIT %s %s%s seed %d", verb,
                              strspn (v->class_name, "0123456789") == strlen (v->class_name) ? "class " : "",
                              v->class_name, seed);
    else
      name = g_strdup_printf ("MaskGIT %s seed %d", verb, seed);
    gimp_item_set_name (layer, name);
    json_object_set_int_member (params, "seed", seed);
    ptext = parasite_text (method, params, result);
    parasite = gimp_parasite_new (PARASITE_NAME, GIMP_PARASITE_PERSISTENT | GIMP_PARASITE_UNDOABLE,
                                  strlen (ptext) + 1, ptext);
    gimp_item_attach_parasite (layer, parasite);
    gimp_parasite_free (parasite);
    if (!new_image)
      {
        gimp_image_set_active_layer (image, layer);
        gimp_image_undo_group_end (image);
      }
    else if (interactive)
      gimp_display_new (image);
    maskgit_log ("%s: new layer %d \"%s\" (%zu bytes of parameters)", method, layer, name, strlen (ptext));
    g_free (name);
    g_free (ptext);
    *new_layer = layer;
    *seed_used = seed;
    status = GIMP_PDB_SUCCESS;
  }
  goto done;

io_error:
  *error = g_strdup_printf ("Cannot write a temporary PNG in %s: %s", maskgit_work_dir (),
                            gerr ? gerr->message : "unknown error");
done:
  if (gerr) g_error_free (gerr);
  if (rnode) json_node_unref (rnode);
  job_outcome_clear (&outcome);
  for (gchar **p = (gchar *[]) { source, mask, out, NULL }; *p; p++)
    g_unlink (*p);
  g_free (source); g_free (mask); g_free (out); g_free (checksum); g_free (key); g_free (title);
  json_object_unref (params);
  return status;
}

/* ---- entry -------------------------------------------------------------------------------- */

static void
run (const gchar *name, gint nparams, const GimpParam *param, gint *nreturn_vals, GimpParam **return_vals)
{
  static GimpParam values[10];
  static gchar *error = NULL;
  GimpRunMode mode = nparams > 0 ? param[0].data.d_int32 : GIMP_RUN_NONINTERACTIVE;
  GimpPDBStatusType status = GIMP_PDB_CALLING_ERROR;

  *return_vals = values;
  *nreturn_vals = 1;
  values[0].type = GIMP_PDB_STATUS;
  g_clear_pointer (&error, g_free);

  if (strcmp (name, EXTENSION_PROC) == 0)
    {
      extension_run ();
      values[0].data.d_status = GIMP_PDB_SUCCESS;
      return;
    }
  gegl_init (NULL, NULL);
  if (strcmp (name, "plug-in-maskgit-status") == 0)
    {
      BackendStatus s;
      client_status (&s);
      maskgit_log ("status pid=%d starts=%d opened=%d reused=%d edits=%d cached=%d running=%d "
                   "forked=%d forks=%d adopted=%d known=%d",
                   s.pid, s.starts, s.sessions_opened, s.sessions_reused, s.edits, s.cached, s.running,
                   s.sessions_forked, s.forks, s.tokens_adopted, s.tokens_known);
      values[0].data.d_status = GIMP_PDB_SUCCESS;
      values[1].type = GIMP_PDB_INT32; values[1].data.d_int32 = s.pid;
      values[2].type = GIMP_PDB_INT32; values[2].data.d_int32 = s.starts;
      values[3].type = GIMP_PDB_INT32; values[3].data.d_int32 = s.sessions_opened;
      values[4].type = GIMP_PDB_INT32; values[4].data.d_int32 = s.sessions_reused;
      values[5].type = GIMP_PDB_INT32; values[5].data.d_int32 = s.edits;
      values[6].type = GIMP_PDB_INT32; values[6].data.d_int32 = s.running;
      values[7].type = GIMP_PDB_INT32; values[7].data.d_int32 = s.sessions_forked;
      values[8].type = GIMP_PDB_INT32; values[8].data.d_int32 = s.tokens_adopted;
      values[9].type = GIMP_PDB_INT32; values[9].data.d_int32 = s.tokens_known;
      *nreturn_vals = 10;
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (operations); i++)
    {
      EditValues v = { .seed = -1, .steps = 0, .sampler = "", .mask_policy = "", .feather = -1,
                       .margins = { 0, 0, 16, 0 }, .class_name = "" };
      gint32 layer = -1;
      gint seed = -1;
      gint expected = 7 + (operations[i].op == OP_OUTPAINT ? 4 : 0) +
                      (operations[i].op == OP_INPAINT || operations[i].op == OP_CLASS_EDIT ? 2 : 0);

      if (strcmp (name, operations[i].name) != 0)
        continue;
      if (mode == GIMP_RUN_NONINTERACTIVE)
        {
          if (nparams != expected)
            {
              error = g_strdup_printf ("%s takes %d arguments, got %d", name, expected, nparams);
              break;
            }
          v.seed = param[3].data.d_int32;
          v.steps = param[4].data.d_int32;
          /* Names are checked by the server (-32602 naming the field and the names it knows). */
          g_strlcpy (v.sampler, param[5].data.d_string ? param[5].data.d_string : "", sizeof v.sampler);
          g_strlcpy (v.class_name, param[6].data.d_string ? param[6].data.d_string : "", sizeof v.class_name);
          if (operations[i].op == OP_INPAINT || operations[i].op == OP_CLASS_EDIT)
            {
              g_strlcpy (v.mask_policy, param[7].data.d_string ? param[7].data.d_string : "", sizeof v.mask_policy);
              v.feather = param[8].data.d_float;
            }
          if (operations[i].op == OP_OUTPAINT)
            for (gint k = 0; k < 4; k++)
              v.margins[k] = param[7 + k].data.d_int32;
        }
      else
        {
          gimp_get_data (name, &v);
          if (mode == GIMP_RUN_INTERACTIVE)
            {
              if (!edit_dialog (operations[i].op, &v))
                {
                  status = GIMP_PDB_CANCEL;
                  break;
                }
              gimp_set_data (name, &v, sizeof v);
            }
        }
      status = run_operation (operations[i].op, operations[i].method, operations[i].verb,
                              mode != GIMP_RUN_NONINTERACTIVE, param[1].data.d_image,
                              param[2].data.d_drawable, &v, &layer, &seed, &error);
      if (status == GIMP_PDB_SUCCESS)
        {
          values[1].type = GIMP_PDB_LAYER; values[1].data.d_layer = layer;
          values[2].type = GIMP_PDB_INT32; values[2].data.d_int32 = seed;
          *nreturn_vals = 3;
          if (mode != GIMP_RUN_NONINTERACTIVE)
            gimp_displays_flush ();
        }
      break;
    }
  values[0].data.d_status = status;
  if (status != GIMP_PDB_SUCCESS && error)
    {
      maskgit_log ("%s: %s", name, error);
      values[1].type = GIMP_PDB_STRING;
      values[1].data.d_string = error;
      *nreturn_vals = 2;
    }
}

const GimpPlugInInfo PLUG_IN_INFO = { NULL, extension_quit, query, run };

int
main (int argc, char *argv[])
{
  maskgit_self_path = argv[0];
  return gimp_main (&PLUG_IN_INFO, argc, argv);
}
