; A second GIMP run whose first backend dies at once (a wrapper exits 3): the first call fails
; with the backend's message, the second starts a new backend and succeeds. Then a long job is
; cancelled through the extension's temporary procedures.
(let* ((img (load-image "rgb.png"))
       (src (car (gimp-image-get-active-layer img))))
  (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 10 10 20 16)
  (expect-error "crashed-backend" (lambda () (plug-in-maskgit-inpaint RUN-NONINTERACTIVE img src 1 0 "" "3" "" -1)))
  (let ((r (plug-in-maskgit-inpaint RUN-NONINTERACTIVE img src 1 0 "" "3" "" -1)))
    (fact "restarted" "seed" (cadr r)))
  (status "after-restart"))

(define (poll job) (maskgit-backend-poll job))
(let* ((params (string-append "{\"right\":240,\"bottom\":240,\"class\":1,\"seed\":1,\"steps\":64,"
                              "\"output\":{\"transport\":\"none\"}}"))
       (job (car (maskgit-backend-submit "outpaint" params "cancel" "c1" (string-append work-dir "/cancel-source.png"))))
       (started #f))
  ; Wait for the first decode step, cancel, then wait for the answer.
  (let loop ((n 0))
    (let ((p (poll job)))
      (if (and (= (car p) 0) (< (cadr p) 0.0001) (< n 200000)) (loop (+ n 1)))))
  (maskgit-backend-cancel job)
  (let loop ((n 0))
    (let ((p (poll job)))
      (if (and (= (car p) 0) (< n 2000000))
          (loop (+ n 1))
          (fact "cancel" "state" (car p) "payload" (cadddr p))))))
(status "after-cancel")

; GIMP's own progress Cancel kills the calling plug-in. run-tests.sh plays that part: it kills the
; process running this outpaint once its job is submitted; the extension must notice that nobody
; polls any more and cancel the request, so no job is left running.
(let* ((img (load-image "cancel.png"))
       (src (car (gimp-image-get-active-layer img))))
  (expect-error "killed-caller"
                (lambda () (plug-in-maskgit-outpaint RUN-NONINTERACTIVE img src 1 64 "" "1" 0 0 736 736))))
(let loop ((n 0))
  (let ((s (maskgit-backend-status)))
    (if (and (> (list-ref s 6) 0) (< n 400000))
        (loop (+ n 1))
        (fact "after-kill" "running" (list-ref s 6) "polls" n))))
(close-output-port facts)
