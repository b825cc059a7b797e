; The server keeps one session (--max-sessions 1): layer A, layer B, then A again, whose cached
; session the server has evicted; the plug-in must open a new one and succeed.
(define (inpaint-once name tag)
  (let* ((img (load-image name))
         (src (car (gimp-image-get-active-layer img))))
    (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 4 4 12 12)
    (plug-in-maskgit-inpaint RUN-NONINTERACTIVE img src 1 0 "" "1" "" -1)
    (list img src)))
(let ((a (inpaint-once "rgb.png" "a")))
  (inpaint-once "gray.png" "b")
  (let ((r (plug-in-maskgit-inpaint RUN-NONINTERACTIVE (car a) (cadr a) 2 0 "" "1" "" -1)))
    (fact "evicted" "seed" (cadr r))))
(status "evict-end")
(close-output-port facts)
