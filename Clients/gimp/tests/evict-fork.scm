; Three sessions at most (--max-sessions 3) and MASKGIT_GIMP_FORKS=2: the server evicts the
; result forks before the backend would close them. A's first result is then in no open session:
; editing its layer must still work (a session without adopted tokens, encoded as before).
(let* ((img (load-image "rgb.png"))
       (src (car (gimp-image-get-active-layer img))))
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 10 10 8 8)
  (let ((first (car (plug-in-maskgit-inpaint RUN-NONINTERACTIVE img src 1 0 "" "1" "" -1))))
    (save-drawable img first "evict-first.png")
    ; A second edit of A drops the first result from A's session (its redo future).
    (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 40 28 8 8)
    (plug-in-maskgit-inpaint RUN-NONINTERACTIVE img src 2 0 "" "1" "" -1)
    ; Layer B: its session and its fork push the forks of A's results out.
    (let* ((b (load-image "gray.png"))
           (bsrc (car (gimp-image-get-active-layer b))))
      (gimp-image-select-rectangle b CHANNEL-OP-REPLACE 4 4 8 8)
      (plug-in-maskgit-inpaint RUN-NONINTERACTIVE b bsrc 3 0 "" "1" "" -1))
    (status "before-first-edit")
    (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 14 14 6 6)
    (let ((r (plug-in-maskgit-inpaint RUN-NONINTERACTIVE img first 4 0 "" "2" "" -1)))
      (fact "first-edit" "seed" (cadr r))
      (layer-facts "first-edit" img (car r))
      (save-drawable img (car r) "evict-first-edit.png"))))
(status "evict-fork-end")
(close-output-port facts)
