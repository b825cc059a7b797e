; A server without session.fork and reuseTokens (old-server.py): the plug-in opens without
; reuseTokens once refused, a refused fork does not fail the edit, and a result layer still edits.
(let* ((img (load-image "rgb.png"))
       (src (car (gimp-image-get-active-layer img))))
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 10 10 8 8)
  (let ((first (car (plug-in-maskgit-inpaint RUN-NONINTERACTIVE img src 1234 0 "" "3" "" -1))))
    (save-drawable img first "old-server-first.png")
    (fact "old-reused" "seed" (cadr (plug-in-maskgit-inpaint RUN-NONINTERACTIVE img src 5 0 "" "3" "" -1)))
    (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 14 14 6 6)
    (let ((r (plug-in-maskgit-inpaint RUN-NONINTERACTIVE img first 6 0 "" "2" "" -1)))
      (layer-facts "old-result-edit" img (car r))
      (save-drawable img (car r) "old-server-result-edit.png"))))
(status "old-server-end")
(close-output-port facts)
