; Interactive runs under Xvfb: the parameter dialog (class list from models.list) and the progress
; dialog with its Cancel button. MASKGIT_GIMP_TEST_DIALOGS makes the dialogs answer themselves:
; "ok" presses OK in the parameter dialog, "cancel" also presses Cancel in the progress dialog.
(let* ((img (load-image "rgb.png"))
       (src (car (gimp-image-get-active-layer img))))
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 10 10 20 16)
  (let ((r (catch #f (plug-in-maskgit-inpaint RUN-INTERACTIVE img src 1 0 "" "3" "" -1))))
    (fact "interactive" "layers" (car (gimp-image-get-layers img)))
    (if (and r (car r) (> (car r) 0))
        (fact "interactive" "name" (car (gimp-item-get-name (car r)))))))
(close-output-port facts)
