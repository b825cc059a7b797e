/* dialog.c: the parameter dialog (interactive runs) and the progress dialog with Cancel. */
#include "maskgit-gimp.h"

#include <libgimp/gimpui.h>
#include <string.h>


static GtkWidget *
add_row (GtkWidget *table, gint row, const gchar *label, GtkWidget *widget)
{
  GtkWidget *l = gtk_label_new_with_mnemonic (label);

  gtk_misc_set_alignment (GTK_MISC (l), 0.0, 0.5);
  gtk_label_set_mnemonic_widget (GTK_LABEL (l), widget);
  gtk_table_attach (GTK_TABLE (table), l, 0, 1, row, row + 1, GTK_FILL, GTK_FILL, 4, 2);
  gtk_table_attach (GTK_TABLE (table), widget, 1, 2, row, row + 1, GTK_EXPAND | GTK_FILL, GTK_FILL, 4, 2);
  return widget;
}

/* A menu of the names the server lists in the model's capabilities (`vocabulary`, e.g.
 * "samplers"), after `first` (the server's default, stored as ""). The names are the server's:
 * the plug-in keeps no copy, so a sampler or policy added to the server appears here. Without
 * the server's list (it could not be reached) only the default and the current value are offered. */
static GtkWidget *
combo (JsonObject *model, const gchar *vocabulary, const gchar *first, const gchar *current)
{
  GtkWidget *c = gtk_combo_box_text_new_with_entry ();
  JsonObject *capabilities = model ? json_object_get_object_member (model, "capabilities") : NULL;
  JsonArray *names = capabilities && json_object_has_member (capabilities, vocabulary)
                       ? json_object_get_array_member (capabilities, vocabulary) : NULL;
  gboolean listed = FALSE;

  gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (c), first);
  for (guint i = 0; names && i < json_array_get_length (names); i++)
    {
      const gchar *name = json_array_get_string_element (names, i);
      gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (c), name);
      if (g_strcmp0 (name, current) == 0)
        {
          gtk_combo_box_set_active (GTK_COMBO_BOX (c), (gint) i + 1);
          listed = TRUE;
        }
    }
  if (!*current)
    gtk_combo_box_set_active (GTK_COMBO_BOX (c), 0);
  else if (!listed)
    gtk_entry_set_text (GTK_ENTRY (gtk_bin_get_child (GTK_BIN (c))), current);
  return c;
}

/* The name chosen in a combo() ("" for the default entry). */
static void
combo_value (GtkWidget *c, const gchar *first, gchar *out, gsize size)
{
  const gchar *text = gtk_entry_get_text (GTK_ENTRY (gtk_bin_get_child (GTK_BIN (c))));

  g_strlcpy (out, g_strcmp0 (text, first) == 0 ? "" : text, size);
  g_strstrip (out);
}

/* MASKGIT_GIMP_TEST_DIALOGS=ok|cancel (tests only): dialogs answer themselves, OK for the
 * parameter dialog; "cancel" also presses the progress dialog's Cancel at its first update. */
static const gchar *
test_dialogs (void)
{
  const gchar *v = g_getenv ("MASKGIT_GIMP_TEST_DIALOGS");
  return v && *v ? v : NULL;
}

/* MASKGIT_GIMP_TEST_SCREENSHOT=FILE.png (tests only): the parameter dialog, as drawn, is saved
 * there just before the test presses OK (the README's screenshot is taken this way under Xvfb). */
static void
save_screenshot (GtkWidget *dialog)
{
  const gchar *path = g_getenv ("MASKGIT_GIMP_TEST_SCREENSHOT");
  GdkWindow *window = gtk_widget_get_window (dialog);
  GdkPixbuf *shot;
  gint w, h;
  GError *error = NULL;

  if (!path || !*path || !window)
    return;
  while (gtk_events_pending ())
    gtk_main_iteration ();
  gdk_window_process_updates (window, TRUE);
  gdk_drawable_get_size (GDK_DRAWABLE (window), &w, &h);
  shot = gdk_pixbuf_get_from_drawable (NULL, GDK_DRAWABLE (window), NULL, 0, 0, 0, 0, w, h);
  if (!shot || !gdk_pixbuf_save (shot, path, "png", &error, NULL))
    maskgit_log ("dialog: no screenshot: %s", error ? error->message : "cannot read the window");
  else
    maskgit_log ("dialog: screenshot %dx%d saved to %s", w, h, path);
  if (error) g_error_free (error);
  if (shot) g_object_unref (shot);
}

static gboolean
press_ok (gpointer dialog)
{
  save_screenshot (GTK_WIDGET (dialog));
  gtk_dialog_response (GTK_DIALOG (dialog), GTK_RESPONSE_OK);
  return G_SOURCE_REMOVE;
}

gboolean
edit_dialog (Operation op, EditValues *v)
{
  static const gchar *titles[] = { "MaskGIT: Inpaint selection", "MaskGIT: Outpaint",
                                   "MaskGIT: Change class in selection", "MaskGIT: Generate" };
  static const gchar *sides[] = { "_Left:", "_Top:", "_Right:", "_Bottom:" };
  GtkWidget *dialog, *table, *seed, *steps, *sampler, *policy = NULL, *feather = NULL, *klass;
  GtkWidget *margin[4] = { NULL };
  gchar *error = NULL;
  JsonObject *model;
  gboolean ok;
  gint row = 0;

  gimp_ui_init ("maskgit-gimp", FALSE);
  model = client_model_info (&error);
  dialog = gimp_dialog_new (titles[op], "maskgit-gimp", NULL, 0, gimp_standard_help_func, NULL,
                            "_Cancel", GTK_RESPONSE_CANCEL, "_OK", GTK_RESPONSE_OK, NULL);
  table = gtk_table_new (10, 2, FALSE);
  gtk_container_set_border_width (GTK_CONTAINER (table), 8);
  gtk_box_pack_start (GTK_BOX (gtk_dialog_get_content_area (GTK_DIALOG (dialog))), table, TRUE, TRUE, 0);

  if (error)
    {
      GtkWidget *l = gtk_label_new (error);
      gtk_label_set_line_wrap (GTK_LABEL (l), TRUE);
      gtk_table_attach (GTK_TABLE (table), l, 0, 2, row, row + 1, GTK_FILL, GTK_FILL, 4, 4);
      row++;
    }
  /* The class: a list from models.list ("label: name"), editable for a number or a name. */
  klass = gtk_combo_box_text_new_with_entry ();
  if (model && json_object_has_member (model, "classes"))
    {
      JsonArray *classes = json_object_get_array_member (model, "classes");
      if (json_object_get_boolean_member_with_default (
            json_object_get_object_member (model, "capabilities"), "unconditional", FALSE))
        gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (klass), "");
      for (guint i = 0; i < json_array_get_length (classes); i++)
        {
          gchar *item = g_strdup_printf ("%u: %s", i, json_array_get_string_element (classes, i));
          gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (klass), item);
          g_free (item);
        }
    }
  gtk_entry_set_text (GTK_ENTRY (gtk_bin_get_child (GTK_BIN (klass))), v->class_name);
  if (!*v->class_name && model && !json_object_get_boolean_member_with_default (
        json_object_get_object_member (model, "capabilities"), "unconditional", FALSE))
    gtk_combo_box_set_active (GTK_COMBO_BOX (klass), 0);   /* a class is required: offer the first */
  add_row (table, row++, "C_lass:", klass);

  seed = add_row (table, row++, "_Seed (-1 random):", gtk_spin_button_new_with_range (-1, G_MAXINT32, 1));
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (seed), v->seed);
  steps = add_row (table, row++, "S_teps (0 default):", gtk_spin_button_new_with_range (0, 64, 1));
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (steps), v->steps);
  sampler = add_row (table, row++, "Sa_mpler:", combo (model, "samplers", "default", v->sampler));
  if (op == OP_INPAINT || op == OP_CLASS_EDIT)
    {
      policy = add_row (table, row++, "Mask _policy:", combo (model, "maskPolicies", "default", v->mask_policy));
      feather = add_row (table, row++, "_Feather (-1 default):", gtk_spin_button_new_with_range (-1, 256, 0.5));
      gtk_spin_button_set_value (GTK_SPIN_BUTTON (feather), v->feather);
    }
  if (op == OP_OUTPAINT)
    for (gint i = 0; i < 4; i++)
      {
        margin[i] = add_row (table, row++, sides[i], gtk_spin_button_new_with_range (0, 4096, 1));
        gtk_spin_button_set_value (GTK_SPIN_BUTTON (margin[i]), v->margins[i]);
      }
  gtk_widget_show_all (dialog);
  maskgit_log ("dialog: %d classes listed%s%s", gtk_tree_model_iter_n_children (
                 gtk_combo_box_get_model (GTK_COMBO_BOX (klass)), NULL),
               error ? "; " : "", error ? error : "");
  if (test_dialogs ())
    g_timeout_add (300, press_ok, dialog);
  ok = gimp_dialog_run (GIMP_DIALOG (dialog)) == GTK_RESPONSE_OK;
  if (ok)
    {
      const gchar *text = gtk_entry_get_text (GTK_ENTRY (gtk_bin_get_child (GTK_BIN (klass))));
      const gchar *colon = strchr (text, ':');

      /* "3: Smileys & Emotion" -> "3"; a typed name or number stays as typed. */
      if (colon && colon > text && strspn (text, "0123456789") == (gsize) (colon - text))
        g_strlcpy (v->class_name, text, MIN ((gsize) (colon - text + 1), sizeof v->class_name));
      else
        g_strlcpy (v->class_name, g_strstrip (g_strdup (text)), sizeof v->class_name);
      v->seed = gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (seed));
      v->steps = gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (steps));
      combo_value (sampler, "default", v->sampler, sizeof v->sampler);
      if (policy)
        {
          combo_value (policy, "default", v->mask_policy, sizeof v->mask_policy);
          v->feather = gtk_spin_button_get_value (GTK_SPIN_BUTTON (feather));
        }
      for (gint i = 0; i < 4; i++)
        if (margin[i])
          v->margins[i] = gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (margin[i]));
    }
  gtk_widget_destroy (dialog);
  if (model)
    json_object_unref (model);
  g_free (error);
  return ok;
}

/* ---- progress with Cancel ----------------------------------------------------------------- */

typedef struct ProgressDialog {
  GtkWidget *dialog, *bar;
  gboolean cancelled;
} ProgressDialog;

static void
on_response (GtkDialog *d, gint response, ProgressDialog *p)
{
  p->cancelled = TRUE;
}

ProgressDialog *
progress_dialog_new (const gchar *title)
{
  ProgressDialog *p = g_new0 (ProgressDialog, 1);

  gimp_ui_init ("maskgit-gimp", FALSE);
  p->dialog = gimp_dialog_new (title, "maskgit-gimp", NULL, 0, NULL, NULL,
                               "_Cancel", GTK_RESPONSE_CANCEL, NULL);
  p->bar = gtk_progress_bar_new ();
  gtk_widget_set_size_request (p->bar, 320, -1);
  gtk_container_set_border_width (GTK_CONTAINER (gtk_dialog_get_content_area (GTK_DIALOG (p->dialog))), 12);
  gtk_box_pack_start (GTK_BOX (gtk_dialog_get_content_area (GTK_DIALOG (p->dialog))), p->bar, TRUE, TRUE, 8);
  g_signal_connect (p->dialog, "response", G_CALLBACK (on_response), p);
  g_signal_connect (p->dialog, "delete-event", G_CALLBACK (gtk_true), NULL);
  gtk_widget_show_all (p->dialog);
  return p;
}

/* Updates the bar and handles events; FALSE once the user pressed Cancel. */
gboolean
progress_dialog_update (ProgressDialog *p, gdouble fraction, const gchar *text)
{
  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (p->bar), CLAMP (fraction, 0.0, 1.0));
  if (text && *text)
    gtk_progress_bar_set_text (GTK_PROGRESS_BAR (p->bar), p->cancelled ? "cancelling..." : text);
  if (!p->cancelled && g_strcmp0 (test_dialogs (), "cancel") == 0)
    gtk_dialog_response (GTK_DIALOG (p->dialog), GTK_RESPONSE_CANCEL);
  while (gtk_events_pending ())
    gtk_main_iteration ();
  if (p->cancelled)
    maskgit_log ("progress dialog: Cancel pressed");
  return !p->cancelled;
}

void
progress_dialog_destroy (ProgressDialog *p)
{
  gtk_widget_destroy (p->dialog);
  while (gtk_events_pending ())
    gtk_main_iteration ();
  g_free (p);
}
